/* The mapping step of the import: when a column, the date format or the timezone changes,
   ask the app for the first rows read with these choices and show them in place (nothing
   is saved until "Use these columns"). Without JavaScript the Preview button does the same
   with a page load. Only this site is asked. */
(function () {
  "use strict";
  var DELAY_MS = 250;

  function setup(form) {
    var url = form.getAttribute("data-rows-url");
    var timer = null;
    var asked = 0;

    function query() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, name) {
        if (name !== "csrf_token") {
          params.append(name, value);
        }
      });
      params.set("partial", "1");
      return params.toString();
    }

    function refresh() {
      var mine = ++asked;
      fetch(url + "?" + query(), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          var current = document.getElementById("import-rows");
          if (html === null || mine !== asked || !current) {
            return;
          }
          var parsed = new DOMParser().parseFromString(html, "text/html");
          var fresh = parsed.getElementById("import-rows");
          if (fresh) {
            current.replaceWith(document.importNode(fresh, true));
          }
        })
        .catch(function () { /* the Preview button still works */ });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(refresh, DELAY_MS);
    }

    form.addEventListener("change", later);
    form.addEventListener("input", later);
  }

  var form = document.getElementById("mapping-form");
  if (form && window.fetch && window.URLSearchParams) {
    setup(form);
  }
})();
