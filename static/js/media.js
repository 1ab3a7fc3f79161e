// Attachments in the browser: `AppMedia.render(container, media)` draws a message's media
// exactly as templates/chats/_media.html does (thumbnail opening a lightbox, <video> and
// <audio> players, document download links); a click on an image opens it full size.
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const DOCUMENT_ICON = "M6 2h8l6 6v14H6V2Zm7 1.5V9h5.5L13 3.5ZM8 12v1.5h10V12H8Zm0 3v1.5h10V15H8Zm0 3v1.5h7V18H8Z";

  function kindOf(item) {
    if (item.kind) { return item.kind; }
    const type = item.file_type || "";
    if (/^image\//.test(type)) { return "image"; }
    if (/^video\//.test(type)) { return "video"; }
    if (/^audio\//.test(type)) { return "audio"; }
    return "document";
  }

  // Django's `filesizeformat`, as the template writes it: "1 byte", "12 bytes", "1.5 KB",
  // "3.0 MB", with a no-break space.
  function humanSize(bytes) {
    const size = Number(bytes) || 0;
    const units = ["KB", "MB", "GB", "TB", "PB"];
    if (size < 1024) { return size + "\u00a0" + (size === 1 ? "byte" : "bytes"); }
    let value = size / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return value.toFixed(1) + "\u00a0" + units[unit];
  }

  function node(tag, className, text) {
    const element = document.createElement(tag);
    if (className) { element.className = className; }
    if (text !== undefined) { element.textContent = text; }
    return element;
  }

  function renderOne(item) {
    const url = item.download_url;
    const name = item.original_name || "";
    const kind = kindOf(item);
    let element;
    if (kind === "image") {
      element = node("a", "bubble-media media-image");
      element.href = url;
      element.dataset.lightbox = "";
      element.dataset.caption = name;
      const img = node("img");
      img.src = item.thumbnail_url || url;
      img.alt = name || "Photo";
      if (item.width) { img.width = item.width; img.height = item.height; }
      img.loading = "lazy";
      element.appendChild(img);
    } else if (kind === "video" || kind === "audio") {
      element = node(kind, kind === "video" ? "bubble-media media-video" : "media-audio");
      element.src = url;
      element.controls = true;
      element.preload = "metadata";
      element.setAttribute("aria-label", name || (kind === "video" ? "Video" : "Voice message"));
    } else {
      element = node("a", "bubble-file media-document");
      element.href = url;
      element.download = "";  // the server's Content-Disposition names it (by its stored type)
      const icon = document.createElementNS(SVG, "svg");
      icon.setAttribute("class", "media-document-icon");
      icon.setAttribute("viewBox", "0 0 24 24");
      icon.setAttribute("width", "28");
      icon.setAttribute("height", "28");
      icon.setAttribute("aria-hidden", "true");
      icon.setAttribute("focusable", "false");
      const path = document.createElementNS(SVG, "path");
      path.setAttribute("fill", "currentColor");
      path.setAttribute("d", DOCUMENT_ICON);
      icon.appendChild(path);
      element.append(icon, node("span", "media-document-name", name || item.file_type || "File"),
        node("span", "media-document-size", humanSize(item.size)));
    }
    element.dataset.multimediaId = item.multimedia_id;
    return element;
  }

  function render(container, media) {
    (media || []).forEach(function (item) { container.appendChild(renderOne(item)); });
  }

  // ---- lightbox ---------------------------------------------------------------------------

  let lightbox = null;

  function buildLightbox() {
    const dialog = node("dialog", "media-lightbox");
    dialog.setAttribute("aria-label", "Image viewer");
    const bar = node("div", "media-lightbox-bar");
    const caption = node("span", "media-lightbox-caption");
    const download = node("a", "btn btn-small btn-secondary media-lightbox-download", "Download");
    const close = node("button", "btn-icon media-lightbox-close", "\u00D7");
    close.type = "button";
    close.setAttribute("aria-label", "Close");
    close.addEventListener("click", function () { dialog.close(); });
    bar.append(caption, download, close);
    const img = node("img", "media-lightbox-image");
    dialog.append(bar, img);
    dialog.addEventListener("click", function (event) { if (event.target === dialog) { dialog.close(); } });
    dialog.addEventListener("close", function () { img.removeAttribute("src"); });
    document.body.appendChild(dialog);
    return { dialog: dialog, img: img, caption: caption, download: download };
  }

  function open(link) {
    lightbox = lightbox || buildLightbox();
    const caption = link.dataset.caption || "";
    lightbox.img.src = link.href;
    lightbox.img.alt = caption || "Photo";
    lightbox.caption.textContent = caption;
    lightbox.download.href = link.href;
    lightbox.download.setAttribute("download", "");
    if (!lightbox.dialog.open) { lightbox.dialog.showModal(); }
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest("a[data-lightbox]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    open(link);
  });

  window.AppMedia = { render: render, renderOne: renderOne, kindOf: kindOf, open: open };
})();
