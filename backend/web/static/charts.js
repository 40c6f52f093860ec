// ciqa-review campaign charts: ECharts (vendored) options from the page's JSON; each chart saves itself as PNG.
(function () {
  "use strict";

  var FONT = '"PingFang SC", "Microsoft YaHei", "WenQuanYi Zen Hei", sans-serif';
  var TOOLBOX = { feature: { saveAsImage: { title: "保存为图片", pixelRatio: 2, backgroundColor: "#fff" } }, right: 12 };

  function heatmap(data) {
    var h = data.heatmap;
    return {
      textStyle: { fontFamily: FONT },
      toolbox: TOOLBOX,
      tooltip: { formatter: function (p) { return h.institutions[p.value[1]] + " · " + h.dimensions[p.value[0]] + "：" + (p.value[2] === null ? "无" : p.value[2] + "%"); } },
      grid: { left: 180, right: 40, top: 30, bottom: 100 },
      xAxis: { type: "category", data: h.dimensions, splitArea: { show: true } },
      yAxis: { type: "category", data: h.institutions, inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max: 100, calculable: true, orient: "horizontal", left: "center", bottom: 4, inRange: { color: ["#fbe3e3", "#fff1d6", "#e3f3e6", "#1e7b34"] } },
      series: [{ type: "heatmap", data: h.cells, label: { show: true, formatter: function (p) { return p.value[2] === null ? "" : p.value[2]; } } }]
    };
  }

  function levels(data) {
    var l = data.levels;
    return {
      textStyle: { fontFamily: FONT },
      toolbox: TOOLBOX,
      tooltip: { trigger: "axis" },
      legend: { data: l.levels, top: 4 },
      grid: { left: 60, right: 40, top: 40, bottom: 40 },
      xAxis: { type: "category", data: l.categories },
      yAxis: { type: "value", name: "指标数" },
      series: l.levels.map(function (name, i) {
        return { name: name, type: "bar", stack: "levels", data: l.counts.map(function (row) { return row[i]; }) };
      })
    };
  }

  // A radar of one institution: its values, or several named series (self-rating, category mean, last round)
  // on a scale up to data.max (100 when absent).
  function radar(data, index) {
    var r = data.radars[index];
    var series = r.series || [{ name: r.institution, values: r.values }];
    return {
      textStyle: { fontFamily: FONT },
      toolbox: TOOLBOX,
      title: { text: r.institution, subtext: r.category, left: 8, top: 4, textStyle: { fontSize: 13 } },
      tooltip: {},
      legend: r.series ? { data: series.map(function (s) { return s.name; }), bottom: 4 } : undefined,
      radar: { indicator: data.dimensions.map(function (d) { return { name: d, max: data.max || 100 }; }), radius: "60%", center: ["50%", "55%"] },
      series: [{ type: "radar", data: series.map(function (s) { return { value: s.values, name: s.name, areaStyle: { opacity: 0.2 } }; }) }]
    };
  }

  function kappa(data) {
    var rows = data.agreement;
    var value = function (k) { return k === null ? null : k; };
    return {
      textStyle: { fontFamily: FONT },
      toolbox: TOOLBOX,
      tooltip: { trigger: "axis" },
      legend: { data: ["AI–专家", "专家–专家"], top: 4 },
      grid: { left: 70, right: 40, top: 40, bottom: 30 },
      xAxis: { type: "value", min: -1, max: 1, name: "κ" },
      yAxis: { type: "category", data: rows.map(function (r) { return r.indicator_id; }), inverse: true },
      series: [
        { name: "AI–专家", type: "bar", data: rows.map(function (r) { return value(r.ai_expert_kappa); }) },
        { name: "专家–专家", type: "bar", data: rows.map(function (r) { return value(r.expert_expert_kappa); }) }
      ]
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("chart-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var build = { heatmap: heatmap, levels: levels, radar: radar, kappa: kappa };
    var charts = [].slice.call(document.querySelectorAll("[data-chart]")).map(function (el) {
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(build[el.dataset.chart](data, Number(el.dataset.index || 0)));
      el.dataset.ready = "true";
      return chart;
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  });
})();
