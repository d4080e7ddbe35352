/* A fused site or track on a small map: the fused geometry over its contributions. */
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("fused-config").textContent);
  const map = window.markaz.smallMap("report-map", [34.5, 42.5], 5);
  const layer = L.featureGroup().addTo(map);
  data.contributions.forEach(function (c) {
    if (c.geometry && c.geometry.type === "Point") {
      L.marker([c.geometry.coordinates[1], c.geometry.coordinates[0]], { icon: window.markaz.symbolIcon(c.category) }).addTo(layer);
    } else if (c.geometry && c.geometry.type === "LineString") {
      L.polyline(c.geometry.coordinates.map(function (p) { return [p[1], p[0]]; }), { color: "#d62728", weight: 2 }).addTo(layer);
    }
  });
  const g = data.geometry;
  if (g && g.type === "Point") {
    L.circleMarker([g.coordinates[1], g.coordinates[0]], { radius: 14, color: "#0f2a44", weight: 3, fill: false }).addTo(layer);
  } else if (g && g.type === "LineString") {
    L.polyline(g.coordinates.map(function (p) { return [p[1], p[0]]; }), { color: "#0f2a44", weight: 5, opacity: 0.6 }).addTo(layer);
  }
  if (layer.getLayers().length) { map.fitBounds(layer.getBounds().pad(0.5), { maxZoom: 8 }); }
})();
