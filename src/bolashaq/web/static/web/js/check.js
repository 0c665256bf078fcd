/* The self-check (/check/): htmx refreshes each field's error text as you type; this keeps the
   field's red border and aria-invalid in step with it. Without JavaScript the server renders both. */
(function () {
  "use strict";
  function markErrors() {
    document.querySelectorAll("#check-form .check-error").forEach(function (slot) {
      var invalid = slot.textContent.trim() !== "";
      var field = slot.closest(".check-field");
      if (!field) {
        return;
      }
      field.classList.toggle("has-error", invalid);
      var control = field.querySelector("input:not([type=radio]), select");
      if (!control) {
        return;
      }
      if (invalid) {
        control.setAttribute("aria-invalid", "true");
      } else {
        control.removeAttribute("aria-invalid");
      }
    });
  }
  document.addEventListener("htmx:afterSettle", markErrors);
})();
