/* Renders every chart on the page with vega-embed (bundle served by the app).
   Specs sit in <script type="application/json"> blocks, so nothing is evaluated inline;
   {ast: true} makes Vega interpret expressions instead of compiling them, which keeps the
   Content-Security-Policy free of 'unsafe-eval'.

   A chart with data-chart-narrow has a second spec for narrow screens (the phone's pressure
   timeline: daily falls instead of thousands of hourly points); the one drawn follows the
   screen's width. Before printing, every chart is redrawn at the printable width (A4 and
   Letter both fit PRINT_WIDTH), and afterwards at its container's width again. */
(function () {
  "use strict";
  var options = {
    ast: true,
    actions: false,
    renderer: "svg",
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true },
  };
  /* A4 (210 mm) less 2 x 14 mm margins is 182 mm = 688 CSS px; Letter is wider. */
  var PRINT_WIDTH = 680;
  var narrowScreen = window.matchMedia("screen and (max-width: 700px)");
  var printing = window.matchMedia("print");
  var charts = [];

  function specFor(el) {
    var narrow = el.getAttribute("data-chart-narrow");
    var id = narrow && narrowScreen.matches ? narrow : el.getAttribute("data-chart");
    var source = document.getElementById(id);
    return source ? { id: id, spec: JSON.parse(source.textContent) } : null;
  }

  function draw(chart) {
    var chosen = specFor(chart.el);
    if (!chosen) { return Promise.resolve(); }
    if (chart.view) { chart.view.finalize(); chart.view = null; }
    chart.el.setAttribute("data-rendered", "false");
    chart.el.setAttribute("data-variant", chosen.id === chart.el.getAttribute("data-chart")
      ? "wide" : "narrow");
    return window.vegaEmbed(chart.el, chosen.spec, options).then(function (result) {
      chart.view = result.view;
      chart.el.setAttribute("data-rendered", "true");
    }).catch(function (error) {
      chart.el.setAttribute("data-rendered", "error");
      console.error("chart " + chosen.id + ": " + error);
    });
  }

  function resizeAll(width) {
    var runs = charts.map(function (chart) {
      if (!chart.view) { return Promise.resolve(); }
      return chart.view.width(width(chart.el)).resize().runAsync();
    });
    return Promise.all(runs);
  }

  function printWidth(el) {
    // In print layout the container has its printed width; before it, still the screen's.
    var width = el.clientWidth || PRINT_WIDTH;
    return printing.matches ? width : Math.min(width, PRINT_WIDTH);
  }

  function beforePrint() {
    document.documentElement.setAttribute("data-print-ready", "false");
    resizeAll(printWidth).then(function () {
      document.documentElement.setAttribute("data-print-ready", "true");
    });
  }

  function afterPrint() {
    document.documentElement.removeAttribute("data-print-ready");
    resizeAll(function (el) { return el.clientWidth; });
  }

  function listen(query, handler) {
    if (query.addEventListener) { query.addEventListener("change", handler); }
    else if (query.addListener) { query.addListener(handler); }
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var chart = { el: el, view: null };
    charts.push(chart);
    draw(chart);
  });
  listen(narrowScreen, function () {
    charts.forEach(function (chart) {
      if (chart.el.hasAttribute("data-chart-narrow")) { draw(chart); }
    });
  });
  listen(printing, function (event) { if (event.matches) { beforePrint(); } else { afterPrint(); } });
  window.addEventListener("beforeprint", beforePrint);
  window.addEventListener("afterprint", afterPrint);

  var print = document.getElementById("print-report");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
})();
