/* jieneng live monitoring charts (web.monitoring): Apache ECharts for every
 * [data-live-chart] element — "curve" (today / yesterday / same weekday last week, kWh
 * per hour), "daily" (last 30 days) and "items" (分项 this month with 未分项). The data
 * is the service's, in the <script type="application/json"> named by data-source;
 * labels come translated from the server in data-label-*. Nothing is recomputed.
 */
(function () {
  "use strict";

  function fmt(v) {
    return v === null || v === undefined ? "—"
      : Number(v).toLocaleString(undefined, { maximumFractionDigits: 1 });
  }

  var builders = {
    curve: function (d, el) {
      var names = [el.dataset.labelToday, el.dataset.labelYesterday, el.dataset.labelLast_week];
      return {
        tooltip: { trigger: "axis", valueFormatter: fmt },
        legend: { top: 0, right: 8, data: names },
        grid: { left: 56, right: 16, top: 36, bottom: 28 },
        xAxis: { type: "category", data: d.hours, boundaryGap: false },
        yAxis: { type: "value", name: "kWh" },
        series: [
          { name: names[0], type: "line", data: d.today, showSymbol: true, symbolSize: 5,
            connectNulls: false,
            lineStyle: { width: 3 }, areaStyle: { opacity: 0.12 } },
          { name: names[1], type: "line", data: d.yesterday, showSymbol: false,
            lineStyle: { type: "dashed" } },
          { name: names[2], type: "line", data: d.last_week, showSymbol: false,
            lineStyle: { type: "dotted" } }
        ]
      };
    },
    daily: function (d, el) {
      return {
        tooltip: { trigger: "axis", valueFormatter: fmt },
        grid: { left: 64, right: 16, top: 24, bottom: 28 },
        xAxis: { type: "category", data: d.days },
        yAxis: { type: "value", name: el.dataset.labelUnit || "kWh" },
        series: [{ type: "bar", data: d.energy.map(function (v, i) {
          return { value: v, itemStyle: d.complete[i] ? {} : { opacity: 0.45 } };
        }) }]
      };
    },
    items: function (d, el) {
      var en = el.dataset.labelLang === "en";
      var data = d.items.filter(function (i) { return i.energy > 0; }).map(function (i) {
        return { name: (i.code ? i.code + " " : "") + (en ? i.name_en : i.name_zh), value: i.energy };
      });
      if (d.remainder > 0) { data.push({ name: el.dataset.labelRemainder, value: d.remainder }); }
      return {
        tooltip: { trigger: "item", valueFormatter: fmt },
        series: [{ type: "pie", radius: ["35%", "68%"], data: data,
                   label: { formatter: "{b}\n{d}%" } }]
      };
    }
  };

  function init() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-live-chart]").forEach(function (el) {
      var build = builders[el.dataset.liveChart];
      var source = document.getElementById(el.dataset.source);
      if (el.dataset.ready || !build || !source) { return; }
      el.dataset.ready = "1";
      var chart = window.echarts.init(el);
      chart.setOption(build(JSON.parse(source.textContent), el));
      el.jienengChart = chart;
    });
  }

  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-live-chart]").forEach(function (el) {
      if (el.jienengChart) { el.jienengChart.resize(); }
    });
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
