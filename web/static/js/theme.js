/* Light or dark colours: the page follows the phone's setting (prefers-color-scheme, in
   style.css) unless this device was told otherwise. The choice is kept in this browser's
   localStorage (per device, not in the account) and set as <html data-theme="light|dark">
   before the page is drawn, so a dark page never flashes white.

   The appearance control (templates/_appearance.html: radio buttons named "mw-theme") is
   hidden without JavaScript, shown here, and saves on change; charts.js listens for the
   "mw-themechange" event and redraws its charts in the new colours. */
(function () {
  "use strict";
  var KEY = "mw-theme";
  var root = document.documentElement;

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : "auto";
    } catch (e) {
      return "auto";  // storage blocked: follow the phone
    }
  }

  function apply(choice) {
    if (choice === "light" || choice === "dark") { root.setAttribute("data-theme", choice); }
    else { root.removeAttribute("data-theme"); }
  }

  function save(choice) {
    try {
      if (choice === "auto") { window.localStorage.removeItem(KEY); }
      else { window.localStorage.setItem(KEY, choice); }
    } catch (e) { /* not saved; still applied to this page */ }
    apply(choice);
    document.dispatchEvent(new CustomEvent("mw-themechange", { detail: { choice: choice } }));
  }

  apply(stored());

  // One listener for every control, also one added to the page later.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.name === KEY && input.checked) { save(input.value); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var choice = stored();
    document.querySelectorAll("input[name='" + KEY + "']").forEach(function (input) {
      input.checked = input.value === choice;
    });
    document.querySelectorAll(".appearance[hidden]").forEach(function (box) {
      box.hidden = false;
    });
  });
})();
