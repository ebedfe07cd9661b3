/// The site's own script and style sheet, written into every site as `site.js` and `site.css`.
///
/// Kept as Swift strings (no bundle, no Foundation resources). The script loads data files with `<script>`
/// elements, which browsers allow from `file://` pages where `fetch` is refused; each data file calls
/// `pondSite.register(resolution, chunk, rows)`.
enum SiteAssets {
  static let script = #"""
    "use strict";
    // DuckPond site: charts of reduced series with dygraphs, data loaded by time span (docs/pipeline.md).
    var pondSite = (function () {
      var loaded = {};
      var waiting = {};
      var series = null;
      var charts = [];
      var shown = null;
      var generation = 0;
      var pending = 0;
      var syncing = false;
      var windowShown = null;
      var loads = [];

      function chunkKey(name, number) { return name + "/" + number; }

      function register(name, number, rows) {
        var key = chunkKey(name, number);
        loaded[key] = rows;
        var callbacks = waiting[key] || [];
        delete waiting[key];
        callbacks.forEach(function (callback) { callback(); });
      }

      function load(name, number, done) {
        var key = chunkKey(name, number);
        if (loaded[key]) { done(); return; }
        if (waiting[key]) { waiting[key].push(done); return; }
        waiting[key] = [done];
        var element = document.createElement("script");
        element.src = "res=" + name + "/" + number + ".js";
        element.onerror = function () { console.error("pond site: could not load " + element.src); };
        loads.push(element.getAttribute("src"));
        document.head.appendChild(element);
      }

      // The files a view of [start, end] needs: the finest resolution whose file span covers the view (at
      // most two files); wider than the coarsest span, every file of the coarsest.
      function choose(start, end) {
        var resolutions = series.resolutions;
        for (var i = 0; i < resolutions.length; i++) {
          var resolution = resolutions[i];
          if (end - start <= resolution.spanMs) {
            var first = Math.floor(start / resolution.spanMs);
            var last = Math.floor(end / resolution.spanMs);
            return {
              resolution: resolution,
              chunks: resolution.chunks.filter(function (n) { return n >= first && n <= last; })
            };
          }
        }
        return overview();
      }

      function overview() {
        var coarsest = series.resolutions[series.resolutions.length - 1];
        return { resolution: coarsest, chunks: coarsest.chunks.slice() };
      }

      function chartData(chart, rows) {
        return rows.map(function (row) {
          var values = chart.columns.map(function (index) { return row[index + 1]; });
          if (chart.kind === "bars") {
            return [new Date(row[0]), values[1] === null ? null : values];
          }
          return [new Date(row[0])].concat(values);
        });
      }

      function show(pick, start, end) {
        var keys = pick.chunks.map(function (n) { return chunkKey(pick.resolution.name, n); }).join(",");
        windowShown = [start, end];
        if (shown !== null && shown.keys === keys) {
          setWindow(start, end);
          return;
        }
        var token = ++generation;
        pending = pick.chunks.length;
        var finish = function () {
          if (token !== generation) { return; }
          var rows = [];
          pick.chunks.forEach(function (n) {
            rows = rows.concat(loaded[chunkKey(pick.resolution.name, n)]);
          });
          shown = { keys: keys, resolution: pick.resolution.name, chunks: pick.chunks.slice() };
          draw(rows, windowShown[0], windowShown[1]);
          pending = 0;
        };
        if (pick.chunks.length === 0) { finish(); return; }
        var left = pick.chunks.length;
        pick.chunks.forEach(function (n) {
          load(pick.resolution.name, n, function () { if (--left === 0) { finish(); } });
        });
      }

      function setWindow(start, end) {
        syncing = true;
        charts.forEach(function (g) {
          var range = g.xAxisRange();
          if (range[0] !== start || range[1] !== end) { g.updateOptions({ dateWindow: [start, end] }); }
        });
        syncing = false;
      }

      function draw(rows, start, end) {
        syncing = true;
        series.charts.forEach(function (chart, index) {
          var data = chartData(chart, rows);
          if (data.length === 0) { data = [[new Date(start)].concat(chart.kind === "bars" ? [null] : chart.columns.map(function () { return null; }))]; }
          if (charts[index] === undefined) {
            var element = document.getElementById("chart-" + index);
            charts[index] = new Dygraph(element, data, {
              labels: ["time"].concat(chart.labels),
              customBars: chart.kind === "bars",
              dateWindow: [start, end],
              connectSeparatedPoints: false,
              labelsUTC: true,
              title: chart.title,
              legend: "always",
              labelsDiv: document.getElementById("legend-" + index),
              animatedZooms: false,
              drawCallback: function (g) { viewChanged(g); },
              zoomCallback: function () { if (!charts[index].isZoomed("x")) { whole(); } }
            });
          } else {
            charts[index].updateOptions({ file: data, dateWindow: [start, end] });
          }
        });
        syncing = false;
      }

      function viewChanged(g) {
        if (syncing || shown === null || pending > 0) { return; }
        var range = g.xAxisRange();
        if (windowShown !== null && range[0] === windowShown[0] && range[1] === windowShown[1]) { return; }
        zoom(range[0], range[1]);
      }

      function zoom(start, end) { show(choose(start, end), start, end); }

      function whole() { show(overview(), series.range[0], series.range[1]); }

      function start(config) {
        series = config;
        if (!series.range) { return; }
        whole();
      }

      // For tests and curious readers: what the charts show now.
      function drawn() {
        var result = {
          resolution: shown && shown.resolution,
          chunks: shown && shown.chunks,
          window: windowShown,
          loads: loads.slice(),
          charts: []
        };
        charts.forEach(function (g, index) {
          var chart = series.charts[index];
          var points = [];
          for (var row = 0; row < g.numRows(); row++) {
            var time = g.getValue(row, 0);
            if (time < windowShown[0] || time > windowShown[1]) { continue; }
            var values = [];
            for (var column = 1; column <= chart.labels.length; column++) {
              var value = g.getValue(row, column);
              if (chart.kind === "bars") {
                values = value === null ? [null, null, null] : value;
              } else {
                values.push(value);
              }
            }
            points.push([time].concat(values));
          }
          result.charts.push({
            title: chart.title,
            columns: chart.columns.map(function (index) { return series.columns[index]; }),
            points: points
          });
        });
        return result;
      }

      function ready() { return series !== null && (!series.range || (shown !== null && pending === 0)); }

      return {
        register: register, start: start, zoom: zoom, whole: whole, drawn: drawn, ready: ready,
        charts: function () { return charts.slice(); }
      };
    })();
    """#

  /// The site's icon, so that browsers ask for it rather than for `/favicon.ico` outside the site.
  static let icon = #"""
    <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><ellipse cx="8" cy="10" rx="7" ry="4" fill="#3a7ca5"/><circle cx="8" cy="5" r="3" fill="#e0b400"/></svg>

    """#

  static let style = #"""
    body { font-family: sans-serif; margin: 1.5em auto; max-width: 72em; padding: 0 1em; color: #222; }
    header { font-size: 0.9em; margin-bottom: 1em; }
    h1 { font-size: 1.5em; margin: 0.3em 0; }
    table.series { border-collapse: collapse; width: 100%; font-size: 0.9em; }
    table.series th, table.series td { border-bottom: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
    .meta { color: #555; font-size: 0.9em; }
    .chart { width: 100%; height: 320px; margin: 0 0 2.5em 0; }
    .legend { font-size: 0.85em; min-height: 1.4em; margin-top: 1em; }
    .latest { font-family: monospace; }
    button { margin: 0.5em 0; }
    """#
}
