/* The picture: basemap, observations by category with clustering, time filter, area box, live items. */
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const S = config.strings;
  const CAL = { gregorian: "gregory", hijri: "islamic-umalqura", solar_hijri: "persian" };
  const dateFormat = new Intl.DateTimeFormat(config.language + "-u-ca-" + (CAL[config.calendar] || "gregory") + "-nu-latn", {
    dateStyle: "medium", timeStyle: "short", timeZone: "UTC",
  });
  function when(iso) {
    if (!iso) { return ""; }
    const d = new Date(iso);
    return dateFormat.format(d) + " UTC (" + iso.slice(0, 16) + "Z)";
  }

  const map = L.map("map", { zoomControl: true, worldCopyJump: true, boxZoom: false, maxZoom: 18, minZoom: 2 }).setView([34.5, 42.5], 5);
  map.attributionControl.setPrefix(false);
  window.markaz.map = map;
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution || "", maxZoom: 18 }).addTo(map);
  }
  // The offline basemap: borders and main places served by markaz itself.
  fetch("/basemap/countries.geojson").then(function (r) { return r.json(); }).then(function (data) {
    L.geoJSON(data, {
      interactive: false,
      style: { color: "#6b6b6b", weight: 1, fillColor: "#f4f1e8", fillOpacity: config.tile_url ? 0 : 1 },
    }).addTo(map).bringToBack();
  });
  const placesLayer = L.layerGroup().addTo(map);
  let places = [];
  fetch("/basemap/places.geojson").then(function (r) { return r.json(); }).then(function (data) {
    places = data.features;
    drawPlaces();
  });
  function drawPlaces() {
    placesLayer.clearLayers();
    const zoom = map.getZoom();
    const bounds = map.getBounds().pad(0.2);
    const minPopulation = zoom >= 8 ? 0 : zoom >= 7 ? 300000 : zoom >= 6 ? 700000 : zoom >= 5 ? 1500000 : 4000000;
    places.forEach(function (f) {
      const p = f.properties;
      const ll = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
      if (p.population < minPopulation || !bounds.contains(ll)) { return; }
      const label = document.createElement("span");
      label.className = "place-label";
      label.textContent = p.name;
      L.marker(ll, {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: "place-dot", iconSize: [5, 5] }),
      }).addTo(placesLayer);
      L.marker(ll, {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: "", html: label, iconSize: null, iconAnchor: [-6, 8] }),
      }).addTo(placesLayer);
    });
  }
  map.on("zoomend moveend", function () { drawPlaces(); });

  const clusters = L.markerClusterGroup({ maxClusterRadius: 45 }).addTo(map);
  const lines = L.layerGroup().addTo(map);
  const fusion = L.layerGroup().addTo(map);
  let features = [];
  let box = null;
  let boxLayer = null;
  const status = document.getElementById("map-status");
  const slider = document.getElementById("time-slider");
  const sliderValue = document.getElementById("slider-value");
  const dateFrom = document.getElementById("date-from");
  const dateTo = document.getElementById("date-to");
  let span = { min: 0, max: 0 };

  function enabledCategories() {
    const on = new Set();
    document.querySelectorAll('#legend input[name="category"]').forEach(function (cb) {
      if (cb.checked) { on.add(cb.value); }
    });
    return on;
  }

  function popupFor(p) {
    const root = document.createElement("div");
    root.className = "popup";
    const h = document.createElement("h2");
    h.dir = "auto";
    h.textContent = p.title || S.report;
    root.appendChild(h);
    const dl = document.createElement("dl");
    function row(label, value) {
      if (!value) { return; }
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = value; dd.dir = "auto";
      dl.appendChild(dt); dl.appendChild(dd);
    }
    row("", config.categories[p.category] || p.category);
    row(S.observed, when(p.observed_at));
    row(S.received, when(p.created_at));
    row(S.originator, (config.members[p.originator] || p.originator) + " (" + p.originator + ")");
    row(S.subject, p.subject);
    row(S.grading, (p.source_reliability || "") + (p.information_credibility || "") + " · TLP:" + (p.tlp || "") +
      " · " + (config.precedences[p.precedence] || p.precedence || ""));
    root.appendChild(dl);
    if (p.report_id) {
      const a = document.createElement("a");
      a.href = "/reports/" + encodeURIComponent(p.report_id);
      a.textContent = S.open_report;
      root.appendChild(a);
    }
    return root;
  }

  function symbol(category, contested) {
    return L.divIcon({
      className: "marker-symbol symbol cat-" + category + (contested ? " contested-mark" : ""),
      iconSize: [18, 18],
    });
  }

  function bearing(a, b) {
    const pa = map.project(a, 5), pb = map.project(b, 5);
    return Math.atan2(pb.y - pa.y, pb.x - pa.x) * 180 / Math.PI;
  }

  function arrow(latlngs, category) {
    const n = latlngs.length;
    const head = document.createElement("div");
    head.className = "arrow-head " + category;
    const m = L.marker(latlngs[n - 1], {
      interactive: false, keyboard: false,
      icon: L.divIcon({ className: "", html: head, iconSize: [12, 14], iconAnchor: [6, 7] }),
    });
    // CSSOM styles are allowed by the page's Content-Security-Policy; style attributes are not.
    head.style.transform = "rotate(" + bearing(latlngs[n - 2], latlngs[n - 1]) + "deg)";
    return m;
  }

  function timeOf(f) {
    return Date.parse(f.properties.observed_at || f.properties.created_at || "") || 0;
  }

  function visibleWindow() {
    let lo = dateFrom.value ? Date.parse(dateFrom.value + "T00:00:00Z") : -Infinity;
    let hi = dateTo.value ? Date.parse(dateTo.value + "T23:59:59Z") : Infinity;
    if (span.max > span.min) {
      const t = span.min + (span.max - span.min) * Number(slider.value) / 1000;
      hi = Math.min(hi, t);
      sliderValue.textContent = when(new Date(t).toISOString());
    }
    return [lo, hi];
  }

  function draw() {
    clusters.clearLayers();
    lines.clearLayers();
    const on = enabledCategories();
    const [lo, hi] = visibleWindow();
    const counts = {};
    const markers = [];
    let shown = 0;
    features.forEach(function (f) {
      const p = f.properties;
      const t = timeOf(f);
      if (!on.has(p.category) || t < lo || t > hi || !f.geometry) { return; }
      counts[p.category] = (counts[p.category] || 0) + 1;
      shown += 1;
      const g = f.geometry;
      if (g.type === "Point") {
        const m = L.marker([g.coordinates[1], g.coordinates[0]], {
          icon: symbol(p.category, p.contested), title: p.title || "", alt: config.categories[p.category] || p.category,
        });
        m.bindPopup(function () { return popupFor(p); });
        markers.push(m);
      } else if (g.type === "LineString") {
        const ll = g.coordinates.map(function (c) { return [c[1], c[0]]; });
        const colour = p.category === "smuggling_route" ? "#111" : "#d62728";
        const line = L.polyline(ll, { color: colour, weight: 3, dashArray: p.category === "smuggling_route" ? "6 4" : null });
        line.bindPopup(function () { return popupFor(p); });
        line.addTo(lines);
        arrow(ll, p.category).addTo(lines);
      } else if (g.type === "Polygon") {
        const poly = L.polygon(g.coordinates.map(function (ring) {
          return ring.map(function (c) { return [c[1], c[0]]; });
        }), { color: "#6a1b9a", weight: 2 });
        poly.bindPopup(function () { return popupFor(p); });
        poly.addTo(lines);
      }
    });
    clusters.addLayers(markers);
    document.querySelectorAll("[data-count]").forEach(function (el) {
      el.textContent = String(counts[el.getAttribute("data-count")] || 0);
    });
    status.textContent = shown + " " + S.shown;
    status.setAttribute("data-shown", String(shown));
  }

  function load() {
    status.textContent = S.loading;
    let url = "/api/v1/observations.geojson?limit=10000";
    if (box) { url += "&bbox=" + box.map(function (v) { return v.toFixed(5); }).join(","); }
    const collected = [];
    function page(u, left) {
      return window.markaz.api(u).then(function (data) {
        Array.prototype.push.apply(collected, data.features);
        if (data.next_cursor && left > 1) {
          return page(url + "&cursor=" + encodeURIComponent(data.next_cursor), left - 1);
        }
        return collected;
      });
    }
    return page(url, 5).then(function (all) {
      features = all;
      const times = features.map(timeOf).filter(function (t) { return t > 0; });
      span = times.length ? { min: Math.min.apply(null, times), max: Math.max.apply(null, times) } : { min: 0, max: 0 };
      draw();
    }).catch(function (err) {
      status.textContent = S.load_error + ": " + err.message;
    });
  }

  document.getElementById("legend").addEventListener("change", draw);
  [slider, dateFrom, dateTo].forEach(function (el) { el.addEventListener("input", draw); });

  // Area search: drag a box on the map (or, from the keyboard, take the current view).
  const drawButton = document.getElementById("draw-box");
  const clearButton = document.getElementById("clear-box");
  const areaStatus = document.getElementById("area-status");
  const mapEl = document.getElementById("map");
  let drawing = false, start = null;
  function setBox(bounds) {
    box = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map(function (v, i) {
      return Math.max(i % 2 ? -90 : -180, Math.min(i % 2 ? 90 : 180, v));
    });
    if (boxLayer) { map.removeLayer(boxLayer); }
    boxLayer = L.rectangle(bounds, { className: "draw-box", interactive: false, fill: true }).addTo(map);
    clearButton.disabled = false;
    areaStatus.textContent = S.area_set;
    stopDrawing();
    load();
    loadFused();
  }
  function stopDrawing() {
    drawing = false; start = null;
    map.dragging.enable();
    mapEl.classList.remove("drawing");
    drawButton.setAttribute("aria-pressed", "false");
  }
  drawButton.addEventListener("click", function (ev) {
    if (ev.detail === 0) { setBox(map.getBounds()); return; }
    drawing = true;
    map.dragging.disable();
    mapEl.classList.add("drawing");
    drawButton.setAttribute("aria-pressed", "true");
    areaStatus.textContent = S.draw_hint;
  });
  let preview = null;
  map.on("mousedown", function (e) { if (drawing) { start = e.latlng; } });
  map.on("mousemove", function (e) {
    if (!drawing || !start) { return; }
    const b = L.latLngBounds(start, e.latlng);
    if (preview) { preview.setBounds(b); } else { preview = L.rectangle(b, { className: "draw-box", interactive: false }).addTo(map); }
  });
  map.on("mouseup", function (e) {
    if (!drawing || !start) { return; }
    const b = L.latLngBounds(start, e.latlng);
    if (preview) { map.removeLayer(preview); preview = null; }
    setBox(b);
  });
  clearButton.addEventListener("click", function () {
    box = null;
    if (boxLayer) { map.removeLayer(boxLayer); boxLayer = null; }
    clearButton.disabled = true;
    areaStatus.textContent = "";
    load();
    loadFused();
  });

  // Fused sites (with their confidence) and tracks (lines with direction); contested ones dashed red.
  let fused = [];
  const fusionBox = document.getElementById("fusion-layers");
  const fusionToggles = {};
  [["site", S.site, "cat-site"], ["track", S.track, "cat-track"]].forEach(function (spec) {
    const label = document.createElement("label");
    label.className = "layer";
    const cb = document.createElement("input");
    cb.type = "checkbox"; cb.checked = true; cb.value = spec[0]; cb.name = "fused";
    const sym = document.createElement("span");
    sym.className = "symbol " + spec[2]; sym.setAttribute("aria-hidden", "true");
    const text = document.createElement("span"); text.textContent = spec[1];
    const count = document.createElement("span"); count.className = "count"; count.setAttribute("data-fused-count", spec[0]);
    count.textContent = "0";
    label.appendChild(cb); label.appendChild(sym); label.appendChild(text); label.appendChild(count);
    fusionBox.appendChild(label);
    fusionToggles[spec[0]] = cb;
  });

  function fusedPopup(p) {
    const root = document.createElement("div");
    root.className = "popup";
    const h = document.createElement("h2");
    h.textContent = (p.kind === "track" ? S.track : S.site) + " " + p.id + " · " + (config.categories[p.category] || p.category);
    root.appendChild(h);
    const dl = document.createElement("dl");
    function row(label, value) {
      if (value === null || value === undefined || value === "") { return; }
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = String(value); dd.dir = "auto";
      dl.appendChild(dt); dl.appendChild(dd);
    }
    row(S.confidence, p.confidence);
    row(S.observed, when(p.first_seen) + (p.last_seen && p.last_seen !== p.first_seen ? " – " + when(p.last_seen) : ""));
    row(S.originator, (p.originators || []).join(", "));
    row(S.subject, p.subject);
    if (p.contested) { row(S.contested, String((p.contradictions || []).length || "")); }
    root.appendChild(dl);
    const a = document.createElement("a");
    a.href = (p.kind === "track" ? "/tracks/" : "/sites/") + encodeURIComponent(p.id);
    a.textContent = S.open_item;
    root.appendChild(a);
    return root;
  }

  function drawFused() {
    fusion.clearLayers();
    const [lo, hi] = visibleWindow();
    const on = enabledCategories();
    const counts = { site: 0, track: 0 };
    fused.forEach(function (f) {
      const p = f.properties;
      if (!fusionToggles[p.kind] || !fusionToggles[p.kind].checked || !f.geometry) { return; }
      if (p.category && !on.has(p.category)) { return; }
      const first = Date.parse(p.first_seen || "") || 0, last = Date.parse(p.last_seen || "") || first;
      if (last < lo || first > hi) { return; }
      counts[p.kind] += 1;
      const stroke = p.contested ? { color: "#b00020", dashArray: "6 4" } : { color: "#0f2a44", dashArray: null };
      const g = f.geometry;
      if (g.type === "Point") {
        L.circleMarker([g.coordinates[1], g.coordinates[0]], {
          radius: 9 + Math.min(10, 2 * (p.observations || 1)), weight: 3, fill: true, fillOpacity: 0.08,
          color: stroke.color, dashArray: stroke.dashArray, className: "fused-site" + (p.contested ? " contested" : ""),
        }).bindPopup(function () { return fusedPopup(p); }).addTo(fusion);
      } else if (g.type === "LineString") {
        const ll = g.coordinates.map(function (c) { return [c[1], c[0]]; });
        L.polyline(ll, { color: stroke.color, weight: 5, opacity: 0.6, dashArray: stroke.dashArray, className: "fused-track" })
          .bindPopup(function () { return fusedPopup(p); }).addTo(fusion);
        if (ll.length > 1) { arrow(ll, "track").addTo(fusion); }
      }
    });
    document.querySelectorAll("[data-fused-count]").forEach(function (el) {
      el.textContent = String(counts[el.getAttribute("data-fused-count")] || 0);
    });
  }

  function loadFused() {
    const suffix = box ? "&bbox=" + box.map(function (v) { return v.toFixed(5); }).join(",") : "";
    function all(base) {
      const out = [];
      function page(u, left) {
        return window.markaz.api(u).then(function (data) {
          Array.prototype.push.apply(out, data.features);
          if (data.next_cursor && left > 1) { return page(base + "&cursor=" + encodeURIComponent(data.next_cursor), left - 1); }
          return out;
        });
      }
      return page(base, 5);
    }
    return Promise.all([
      all("/api/v1/sites.geojson?limit=1000" + suffix),
      all("/api/v1/tracks.geojson?limit=1000" + suffix),
    ]).then(function (both) {
      fused = both[0].concat(both[1]);
      drawFused();
    }).catch(function (err) { status.textContent = S.load_error + ": " + err.message; });
  }
  fusionBox.addEventListener("change", drawFused);
  document.getElementById("legend").addEventListener("change", drawFused);
  [slider, dateFrom, dateTo].forEach(function (el) { el.addEventListener("input", drawFused); });

  // New reports arrive live: their observations join the map and the list at once.
  const liveList = document.getElementById("live-list");
  window.addEventListener("markaz:delivery", function (ev) {
    const item = ev.detail;
    const report = item.report;
    if (!report || item.event !== "report" || !report.observations) { return; }
    report.observations.forEach(function (o) {
      features.push({
        type: "Feature", id: o.id, geometry: o.geometry,
        properties: {
          report_id: report.id, category: o.category, observed_at: o.observed_at || report.observed_at,
          subject: o.subject, originator: report.originator, title: report.title, precedence: report.precedence,
          created_at: report.created_at, source_reliability: report.source_reliability,
          information_credibility: report.information_credibility, tlp: report.tlp, status: report.status,
        },
      });
      const t = Date.parse(o.observed_at || report.observed_at || report.created_at || "") || 0;
      if (t > span.max) { span.max = t; }
    });
    const li = document.createElement("li");
    li.setAttribute("data-report", report.id);
    const a = document.createElement("a");
    a.href = "/reports/" + encodeURIComponent(report.id);
    a.dir = "auto";
    a.textContent = (config.precedences[report.precedence] || report.precedence) + " · " + report.title;
    li.appendChild(a);
    liveList.insertBefore(li, liveList.firstChild);
    draw();
  });

  function reload() { load(); loadFused(); }
  window.markaz.mapLayers = { clusters: clusters, lines: lines, fusion: fusion, reload: reload, popupFor: popupFor, when: when };
  load();
  loadFused();
})();
