/* Renders every chart on the page with vega-embed (bundle served by the app).
   Specs sit in <script type="application/json"> blocks, so nothing is evaluated inline;
   {ast: true} makes Vega interpret expressions instead of compiling them, which keeps the
   Content-Security-Policy free of 'unsafe-eval'.

   A chart with data-chart-narrow has a second spec for narrow screens (the phone's pressure
   timeline: daily falls instead of thousands of hourly points); the one drawn follows the
   screen's width. Before printing, every chart is redrawn at the printable width (A4 and
   Letter both fit PRINT_WIDTH), and afterwards at its container's width again.

   Dark mode (the phone's prefers-color-scheme, or <html data-theme> set by theme.js): axes,
   legends and titles get light text through a Vega config, and the few neutral greys the
   specs name (the pressure line, empty calendar days, muted labels) are swapped for their
   dark-background twins. The Okabe-Ito hues are kept as they are: each stays at least 3:1
   against the dark background and distinct from the others. Printing always uses light. */
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
  var darkScheme = window.matchMedia("(prefers-color-scheme: dark)");
  var charts = [];

  var DARK_TEXT = "#e6e9ee";
  var DARK_MUTED = "#b4bcc7";
  var DARK_LINE = "#5d6570";
  var DARK_CONFIG = {
    background: "transparent",
    axis: { labelColor: DARK_MUTED, titleColor: DARK_TEXT, domainColor: DARK_LINE,
            tickColor: DARK_LINE, gridColor: "#2c3139" },
    legend: { labelColor: DARK_MUTED, titleColor: DARK_TEXT },
    title: { color: DARK_TEXT, subtitleColor: DARK_MUTED },
    header: { labelColor: DARK_MUTED, titleColor: DARK_TEXT },
    view: { stroke: "#363c45" },
  };
  /* The neutral colours of web/charts.py and their dark twins (keys lower case). The strip's
     label colour (#1d2430) stays: it is drawn on the light period bands. */
  var DARK_NEUTRALS = {
    "#333333": "#d0d5dc", "#4a5260": DARK_MUTED, "#555555": DARK_MUTED, "#777777": "#9aa3ad",
    "#eeeeee": "#2c3139", "#bbbbbb": "#6b7380", "white": "#121417", "#ffffff": "#121417",
  };

  function isDark() {
    var chosen = document.documentElement.getAttribute("data-theme");
    if (chosen === "dark" || chosen === "light") { return chosen === "dark"; }
    return darkScheme.matches;
  }

  function recolour(value) {
    if (typeof value === "string") {
      var twin = DARK_NEUTRALS[value.toLowerCase()];
      return twin === undefined ? value : twin;
    }
    if (Array.isArray(value)) { return value.map(recolour); }
    if (value && typeof value === "object") {
      var copy = {};
      Object.keys(value).forEach(function (key) {
        // rows are data, never colours: leave the datasets alone
        copy[key] = key === "datasets" ? value[key] : recolour(value[key]);
      });
      return copy;
    }
    return value;
  }

  function specFor(el) {
    var narrow = el.getAttribute("data-chart-narrow");
    var id = narrow && narrowScreen.matches ? narrow : el.getAttribute("data-chart");
    var source = document.getElementById(id);
    return source ? { id: id, spec: JSON.parse(source.textContent) } : null;
  }

  function draw(chart, forceLight) {
    var chosen = specFor(chart.el);
    if (!chosen) { return Promise.resolve(); }
    if (chart.view) { chart.view.finalize(); chart.view = null; }
    var dark = !forceLight && !printing.matches && isDark();
    chart.dark = dark;
    chart.el.setAttribute("data-rendered", "false");
    chart.el.setAttribute("data-theme", dark ? "dark" : "light");
    chart.el.setAttribute("data-variant", chosen.id === chart.el.getAttribute("data-chart")
      ? "wide" : "narrow");
    var spec = dark ? recolour(chosen.spec) : chosen.spec;
    var opts = dark ? Object.assign({}, options, { config: DARK_CONFIG }) : options;
    return window.vegaEmbed(chart.el, spec, opts).then(function (result) {
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

  function redrawAll(forceLight) {
    return Promise.all(charts.map(function (chart) { return draw(chart, forceLight); }));
  }

  function beforePrint() {
    document.documentElement.setAttribute("data-print-ready", "false");
    // paper is white: charts drawn for a dark screen are drawn again in light colours first
    var light = charts.some(function (c) { return c.dark; }) ? redrawAll(true)
      : Promise.resolve();
    light.then(function () { return resizeAll(printWidth); }).then(function () {
      document.documentElement.setAttribute("data-print-ready", "true");
    });
  }

  function afterPrint() {
    document.documentElement.removeAttribute("data-print-ready");
    if (isDark()) { redrawAll(false); return; }
    resizeAll(function (el) { return el.clientWidth; });
  }

  function themeChanged() {
    var dark = isDark();
    if (printing.matches) { return; }
    if (charts.some(function (c) { return c.dark !== dark; })) { redrawAll(false); }
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
  listen(darkScheme, themeChanged);
  document.addEventListener("mw-themechange", themeChanged);
  window.addEventListener("beforeprint", beforePrint);
  window.addEventListener("afterprint", afterPrint);

  var print = document.getElementById("print-report");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
})();
