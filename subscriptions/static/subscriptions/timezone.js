// Progressive enhancement: preselect the browser's IANA time zone on the signup form. Without
// JavaScript the select simply stays on its default and the form works the same.
(function () {
  "use strict";
  var select = document.querySelector("select[data-browser-timezone]");
  if (!select || select.value !== "UTC") return;
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) {
      select.value = zone;
      return;
    }
  }
})();
