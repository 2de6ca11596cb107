/* The service worker (served at /sw.js by web/pwa.py, so its scope is the whole site).

   It keeps the app shell: the offline page (/offline, which holds nothing personal), the
   stylesheet, the scripts, the manifest and the icons. Pages are always asked of the network
   first and never stored (they may show health data); when a page cannot be loaded, the
   offline page is shown instead, where an attack can be logged and ended on the phone.
   A "Log attack now" or "It has ended" form whose send fails is kept in the phone's queue
   (js/offline.js) and answered with the offline page. */
"use strict";
importScripts("/static/js/offline.js");

var CACHE = "mw-shell-v1";
var OFFLINE = "/offline";
var SHELL = [
  OFFLINE, "/static/style.css", "/static/js/theme.js", "/static/js/offline.js",
  "/static/manifest.webmanifest", "/static/icons/icon-192.png", "/static/icons/icon-512.png",
  "/static/icons/icon.svg",
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    // Without cookies: the shell is the same for everyone.
    return cache.addAll(SHELL.map(function (path) {
      return new Request(path, {cache: "reload", credentials: "omit"});
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== CACHE; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function offlinePage() {
  return caches.match(OFFLINE);
}

/* A shell file: the network's copy (kept for later), else the kept one. */
function shellFile(request, path) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(path, copy); });
    }
    return response;
  }, function () {
    return caches.match(path);
  });
}

/* A form of the two-tap logging whose send failed: keep it on the phone. */
function keepForm(path) {
  var end = /^\/attacks\/(\d+)\/end$/.exec(path);
  var kept = end ? self.mwQueue.logEnd({attack_id: Number(end[1])}) : self.mwQueue.logStart();
  return kept.then(function () { return Response.redirect(OFFLINE + "?saved=1", 303); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST" && request.mode === "navigate" &&
      (url.pathname === "/attacks/now" || /^\/attacks\/\d+\/end$/.test(url.pathname))) {
    event.respondWith(fetch(request).catch(function () { return keepForm(url.pathname); }));
    return;
  }
  if (request.method !== "GET") { return; }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(offlinePage));
    return;
  }
  if (SHELL.indexOf(url.pathname) >= 0) {
    event.respondWith(shellFile(request, url.pathname));
  }
});
