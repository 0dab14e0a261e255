/* jieneng energy-saving projects (web.projects): Apache ECharts for every
 * [data-projects-chart] element — "map" (the region's projects as a treemap: the
 * child regions, in each its projects sized by investment or, without one, equally;
 * a click opens the project) and "baseline" (monthly adjusted baseline against the
 * actual, with the savings). The data is the service's, in the
 * <script type="application/json"> named by data-source; labels come translated
 * from the server in data-label-*. Nothing is recomputed.
 */
(function () {
  "use strict";

  function fmt(v) {
    return v === null || v === undefined ? "—"
      : Number(v).toLocaleString(undefined, { maximumFractionDigits: 2 });
  }

  var builders = {
    map: function (d, el) {
      return {
        tooltip: {
          formatter: function (info) {
            var x = info.data || {};
            return x.code ? (x.name + "<br>" + x.code + " · " + (x.kind || "") + " · " + (x.state || ""))
              : (info.name + " · " + el.dataset.labelCount.replace("{count}", x.count || 0));
          }
        },
        series: [{
          type: "treemap", roam: false, nodeClick: false, breadcrumb: { show: false },
          leafDepth: 2, top: 8, left: 4, right: 4, bottom: 4,
          upperLabel: { show: true, height: 22 },
          levels: [
            { itemStyle: { borderWidth: 0, gapWidth: 4 } },
            { itemStyle: { borderColor: "#d9e2dc", borderWidth: 3, gapWidth: 2 },
              upperLabel: { show: true } },
            { colorSaturation: [0.35, 0.6], itemStyle: { gapWidth: 1 } }
          ],
          data: d.regions.map(function (r) {
            return { name: r.name, count: r.count, value: r.value,
                     children: r.projects.map(function (p) {
                       return { name: p.name, value: p.value, code: p.code, kind: p.kind,
                                state: p.state, itemStyle: { color: p.color } };
                     }) };
          })
        }]
      };
    },
    baseline: function (d, el) {
      var names = [el.dataset.labelAdjusted, el.dataset.labelActual, el.dataset.labelSavings];
      return {
        tooltip: { trigger: "axis", valueFormatter: fmt },
        legend: { top: 0, right: 8, data: names },
        grid: { left: 72, right: 16, top: 36, bottom: 28 },
        xAxis: { type: "category", data: d.months },
        yAxis: { type: "value", name: d.unit },
        series: [
          { name: names[0], type: "line", data: d.adjusted, showSymbol: true, connectNulls: false,
            lineStyle: { type: "dashed", width: 2 } },
          { name: names[1], type: "bar", data: d.actual, barMaxWidth: 28 },
          { name: names[2], type: "line", data: d.savings, showSymbol: false, areaStyle: { opacity: 0.15 } }
        ]
      };
    }
  };

  function init() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-projects-chart]").forEach(function (el) {
      var build = builders[el.dataset.projectsChart];
      var source = document.getElementById(el.dataset.source);
      if (el.dataset.ready || !build || !source) { return; }
      el.dataset.ready = "1";
      var chart = window.echarts.init(el);
      chart.setOption(build(JSON.parse(source.textContent), el));
      if (el.dataset.projectsChart === "map") {
        chart.on("click", function (info) {
          if (info.data && info.data.code) { window.location.href = "/projects/" + encodeURIComponent(info.data.code); }
        });
      }
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
