/* Upload progress and focus for document slots (documents/_slot.html). Loaded once per page;
   works on slots that htmx swaps in later, because it listens on the document. */
(function () {
  "use strict";
  if (window.bolashaqUploadReady) { return; }
  window.bolashaqUploadReady = true;

  function bar(form) {
    var indicator = form.querySelector(".doc-progress");
    return indicator ? { progress: indicator.querySelector("progress"), value: indicator.querySelector(".doc-progress__value") } : null;
  }

  document.addEventListener("htmx:xhr:loadstart", function (event) {
    var parts = event.target.closest && event.target.closest(".doc-upload") ? bar(event.target.closest(".doc-upload")) : null;
    if (parts && parts.progress) { parts.progress.removeAttribute("value"); }
    if (parts && parts.value) { parts.value.textContent = ""; }
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest(".doc-upload");
    var parts = form ? bar(form) : null;
    if (!parts || !parts.progress || !event.detail || !event.detail.lengthComputable) { return; }
    var percent = Math.min(100, Math.round((event.detail.loaded / event.detail.total) * 100));
    parts.progress.value = percent;
    if (parts.value) { parts.value.textContent = percent + "%"; }
  });

  /* After a slot is swapped in, move focus to its message so keyboard and screen-reader users
     hear the result and do not lose their place. */
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.id) { return; }
    var slot = document.getElementById(target.id);
    if (!slot || !slot.classList.contains("doc-slot")) { return; }
    var message = slot.querySelector(".doc-slot__error, .doc-slot__notice");
    if (message) { message.focus(); }
  });
})();
