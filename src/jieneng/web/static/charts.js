/* jieneng page charts: Apache ECharts set-up for every [data-chart] element.
 *
 * An element names its kind (data-chart="trend" | "carrier" | "series") and the id
 * of a <script type="application/json"> holding the service's data (data-source);
 * labels come from data-label-* attributes (translated by the server). The figures
 * are drawn as the server sent them: nothing is recomputed here.
 */
(function () {
  "use strict";

  function fmt(v) {
    return v === null || v === undefined ? "—"
      : Number(v).toLocaleString(undefined, { maximumFractionDigits: 2 });
  }

  // the display units (m³, tCO₂) sent by the server in data-label-units; else the data's own
  function units(el, d) {
    try { return el.dataset.labelUnits ? JSON.parse(el.dataset.labelUnits) : d.units; }
    catch (e) { return d.units; }
  }

  var builders = {
    trend: function (d, el, figure) {
      figure = figure || "energy_tce";
      var label = el.dataset.labelMonth || "{m}";
      return {
        tooltip: { trigger: "axis", valueFormatter: fmt },
        backgroundColor: "transparent",
        legend: { top: 0, right: 8, data: [String(d.year), String(d.previous_year)] },
        grid: { left: 64, right: 16, top: 40, bottom: 28 },
        xAxis: { type: "category", data: d.months.map(function (m) { return label.replace("{m}", m); }) },
        yAxis: { type: "value", name: units(el, d)[figure] },
        series: [
          { name: String(d.year), type: "bar", data: d.current[figure] },
          { name: String(d.previous_year), type: "line", smooth: true, data: d.previous[figure] }
        ]
      };
    },
    carrier: function (d, el) {
      var en = el.dataset.labelLang === "en";
      var items = d.filter(function (c) { return c.energy_tce; }).map(function (c) {
        return { name: en ? c.name_en : c.name_zh, value: c.energy_tce };
      });
      return {
        backgroundColor: "transparent",
        tooltip: { trigger: "item", valueFormatter: fmt },
        series: [{ type: "pie", radius: ["35%", "68%"], data: items,
                   label: { formatter: "{b}\n{d}%" } }]
      };
    },
    series: function (d) {
      return {
        tooltip: { trigger: "axis", valueFormatter: fmt },
        grid: { left: 64, right: 16, top: 24, bottom: 28 },
        xAxis: { type: "category", data: d.months },
        yAxis: { type: "value", name: d.unit },
        series: [{ type: "line", data: d.values, showSymbol: false, connectNulls: false,
                   areaStyle: { opacity: 0.15 } }]
      };
    }
  };

  function init(root) {
    if (!window.echarts) { return; }
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      var build = builders[el.dataset.chart];
      var source = document.getElementById(el.dataset.source);
      if (el.dataset.ready || !build || !source) { return; }
      el.dataset.ready = "1";
      var data = JSON.parse(source.textContent);
      var chart = window.echarts.init(el, el.dataset.labelTheme || null);
      chart.setOption(build(data, el));
      el.jienengChart = { chart: chart, data: data };
    });
  }

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("[data-switch-for] [data-figure]") : null;
    if (!button) { return; }
    var group = button.closest("[data-switch-for]");
    var el = document.getElementById(group.dataset.switchFor);
    if (!el || !el.jienengChart) { return; }
    group.querySelectorAll("[data-figure]").forEach(function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
    el.jienengChart.chart.setOption(
      builders.trend(el.jienengChart.data, el, button.dataset.figure), true);
  });

  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.jienengChart) { el.jienengChart.chart.resize(); }
    });
  });
  document.addEventListener("htmx:afterSwap", function (ev) { init(ev.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(); });
  } else {
    init();
  }
}());
