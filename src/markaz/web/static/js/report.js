/* A report: its observations (and pending suggestions) on a small map; reload when extraction ends. */
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("report-config").textContent);
  const map = window.markaz.smallMap("report-map", [34.5, 42.5], 5);
  const layer = L.featureGroup().addTo(map);
  data.observations.forEach(function (o) {
    const g = o.geometry;
    if (g.type === "Point") {
      L.marker([g.coordinates[1], g.coordinates[0]], { icon: window.markaz.symbolIcon(o.category) }).addTo(layer);
    } else if (g.type === "LineString") {
      L.polyline(g.coordinates.map(function (c) { return [c[1], c[0]]; }), { color: "#d62728" }).addTo(layer);
    } else if (g.type === "Polygon") {
      L.polygon(g.coordinates[0].map(function (c) { return [c[1], c[0]]; }), { color: "#6a1b9a" }).addTo(layer);
    }
  });
  data.suggestions.forEach(function (s) {
    const c = s.geometry.coordinates;
    L.circleMarker([c[1], c[0]], { radius: 9, color: "#0b5cad", dashArray: "3 3", fill: false }).addTo(layer);
  });
  if (layer.getLayers().length) { map.fitBounds(layer.getBounds().pad(0.5), { maxZoom: 8 }); }

  // Extraction runs after the commit; the page looks again until the suggestions are there.
  const waiting = document.getElementById("extracting");
  if (waiting) {
    let tries = 0;
    const timer = setInterval(function () {
      tries += 1;
      window.markaz.api("/api/v1/reports/" + encodeURIComponent(waiting.getAttribute("data-report")) + "/suggestions")
        .then(function (items) {
          if (items.length || tries > 10) { clearInterval(timer); window.location.reload(); }
        }).catch(function () { clearInterval(timer); });
    }, 1000);
  }
})();
