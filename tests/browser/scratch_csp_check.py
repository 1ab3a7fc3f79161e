import pytest
from tests.browser.test_web_security import RECORD_VIOLATIONS, open_page, visit
pytestmark = pytest.mark.browser

def test_recorder_sees_inline_script(live_server_url, new_page, alice):
    page = open_page(new_page, live_server_url, alice)
    visit(page, live_server_url + "/profile/")
    page.evaluate("""() => { const d = document.createElement('div'); d.innerHTML = '<img src=x onerror="window.__xss=1">'; document.body.append(d); }""")
    page.wait_for_timeout(500)
    print("CSP:", page.evaluate("window.__csp"), "XSS:", page.evaluate("window.__xss"))
