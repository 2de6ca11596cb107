/* Renders every chart on the page with vega-embed (bundle served by the app).
   Specs sit in <script type="application/json"> blocks, so nothing is evaluated inline;
   {ast: true} makes Vega interpret expressions instead of compiling them, which keeps the
   Content-Security-Policy free of 'unsafe-eval'. */
(function () {
  "use strict";
  var options = {
    ast: true,
    actions: false,
    renderer: "svg",
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true },
  };
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    window.vegaEmbed(el, spec, options).then(function () {
      el.setAttribute("data-rendered", "true");
    }).catch(function (error) {
      el.setAttribute("data-rendered", "error");
      console.error("chart " + el.getAttribute("data-chart") + ": " + error);
    });
  });
  var print = document.getElementById("print-report");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
})();
