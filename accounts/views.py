"""Browser pages of accounts: sign-up, log-in, log-out, profile and contacts (thin views)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.exceptions import InvalidCredentials
from accounts.forms import (
    AddContactForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    SignupForm,
)
from whatsapp.errors import DomainError, FieldErrors, NotFound, PayloadTooLarge, RateLimited
from whatsapp.views import show_on_form

BACKEND = "django.contrib.auth.backends.ModelBackend"


def chat_url(user_id: int) -> str:
    """Link to the 1:1 conversation with a user (the chats app owns the page)."""
    try:
        return reverse("chats:conversation", args=[user_id])
    except NoReverseMatch:
        return f"/chats/{user_id}/"


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _throttled(request, template: str, context: dict, wait: int) -> HttpResponse:
    context["form"].add_error(
        None, f"Too many attempts. Try again in {wait} second{'s' if wait != 1 else ''}."
    )
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST or None)
    context = {"form": form, "next": _next_url(request, "")}
    if request.method == "POST" and form.is_valid():
        try:
            user = services.sign_up(**form.cleaned_data, request=request)
        except RateLimited as exc:
            return _throttled(request, "accounts/signup.html", context, exc.retry_after)
        except FieldErrors as exc:
            show_on_form(form, exc)
        else:
            auth_login(request, user, backend=BACKEND)
            return redirect(_next_url(request, settings.LOGIN_REDIRECT_URL))
    return render(request, "accounts/signup.html", context)


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_next_url(request, settings.LOGIN_REDIRECT_URL))
    form = LoginForm(request.POST or None)
    context = {"form": form, "next": _next_url(request, "")}
    if request.method == "POST" and form.is_valid():
        try:
            user = services.log_in(**form.cleaned_data, request=request)
        except RateLimited as exc:
            return _throttled(request, "accounts/login.html", context, exc.retry_after)
        except (FieldErrors, InvalidCredentials) as exc:
            show_on_form(form, exc)
        else:
            auth_login(request, user, backend=BACKEND)
            return redirect(_next_url(request, settings.LOGIN_REDIRECT_URL))
    return render(request, "accounts/login.html", context)


@require_http_methods(["GET", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    """GET asks for confirmation (a link must not log anyone out); POST logs out."""
    if request.method == "POST":
        auth_logout(request)
        return redirect(settings.LOGOUT_REDIRECT_URL)
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    return render(request, "accounts/logout.html")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    has_picture = bool(user.profile_picture)
    status = 200
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, has_picture=has_picture)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_profile(
                    user,
                    name=data["name"],
                    status=data["status"],
                    picture=data.get("profile_picture"),
                    remove_picture=data.get("remove_picture", False),
                )
            except FieldErrors as exc:
                show_on_form(form, exc)
            except PayloadTooLarge as exc:
                form.add_error("profile_picture", exc.detail)
                status = 413
            else:
                messages.success(request, "Profile updated.")
                return redirect("accounts:profile")
    else:
        form = ProfileForm(
            initial={"name": user.name, "status": user.status}, has_picture=has_picture
        )
    context = {"form": form, "nav_active": "profile"}
    return render(request, "accounts/profile.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    """Change my password: every other browser, the API token and their sockets sign out."""
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(
                request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
                keep_session=request.session,
            )
        except RateLimited as exc:
            return _throttled(request, "accounts/password.html", {"form": form}, exc.retry_after)
        except FieldErrors as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, "Password changed. Your other devices were signed out.")
            return redirect("accounts:profile")
    return render(request, "accounts/password.html", {"form": form, "nav_active": "profile"})


@login_required
@require_POST
def revoke_token(request: HttpRequest) -> HttpResponse:
    """Revoke my API token (clients using it are signed out)."""
    services.revoke_token(request.user)
    messages.success(request, "API token revoked. Clients that used it are signed out.")
    return redirect("accounts:profile")


def _contacts_context(request: HttpRequest, form: AddContactForm) -> dict:
    contacts = list(selectors.contacts_of(request.user))
    for contact in contacts:
        contact.chat_url = chat_url(contact.contact_user_id)
    return {
        "form": form,
        "contacts": contacts,
        "blocks": selectors.blocks_by(request.user),
        "nav_active": "contacts",
    }


@login_required
@require_http_methods(["GET", "POST"])
def contacts(request: HttpRequest) -> HttpResponse:
    """The contact list, the form that adds one by phone number, and the users I blocked."""
    form = AddContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.add_contact_by_phone_number(
                request.user, phone_number=form.cleaned_data["phone_number"]
            )
        except RateLimited as exc:  # a lookup by number, as users/?phone_number= (429)
            context = _contacts_context(request, form)
            return _throttled(request, "accounts/contacts.html", context, exc.retry_after)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, f"{contact.contact_user.display_name} added to contacts.")
            return redirect("accounts:contacts")
    return render(request, "accounts/contacts.html", _contacts_context(request, form))


@login_required
@require_POST
def remove_contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    try:
        contact = selectors.contact_for(request.user, contact_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    services.remove_contact(request.user, contact=contact)
    messages.success(request, f"{contact.contact_user.display_name} removed from contacts.")
    return redirect(_next_url(request, reverse("accounts:contacts")))


@login_required
@require_POST
def block(request: HttpRequest, user_id: int) -> HttpResponse:
    """Block a user the caller knows (the blocked list shows their number); else a 404."""
    try:
        other = selectors.visible_user(request.user, user_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    try:
        services.block_user(request.user, blocked=other)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{other.display_name} is blocked.")
    return redirect(_next_url(request, reverse("accounts:contacts")))


@login_required
@require_POST
def unblock(request: HttpRequest, user_id: int) -> HttpResponse:
    """Lift the caller's block on ``user_id``; a 404 when there is none (no name by id)."""
    try:
        other = selectors.block_by(request.user, user_id).blocked
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    services.unblock_user(request.user, blocked=other)
    messages.success(request, f"{other.display_name} is unblocked.")
    return redirect(_next_url(request, reverse("accounts:contacts")))
