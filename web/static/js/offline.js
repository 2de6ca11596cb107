/* Installable and usable offline (issue #15, point 5).

   The queue: an attack logged ("Log attack now") or ended ("It has ended") while the phone is
   offline is kept in this browser's IndexedDB with an id made here (a UUID), and sent when the
   connection returns. The server stores an attack once per id (POST /offline/attacks answers
   200 with the stored one when the id is known) and ending one that has ended changes
   nothing, so a send whose answer was lost can simply be sent again.

   On a page this script also registers the service worker (/sw.js), catches those two forms
   when the browser knows it is offline, and says what is waiting on the phone. The service
   worker imports it too (self.mwQueue), to keep a form whose send failed; without a DOM, only
   the queue part runs. No third-party code; the CSP allows it as a script of this site. */
(function (root) {
  "use strict";
  var DB_NAME = "migraine-weather";
  var QUEUE = "queue";
  var META = "meta";
  var SAVED = "Saved on this phone, will be sent when you're online.";

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = root.indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore(QUEUE, {keyPath: "seq", autoIncrement: true});
        req.result.createObjectStore(META, {keyPath: "name"});
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  /* One request in its own transaction; resolves with its result once committed. */
  function run(store, mode, make) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var req = make(tx.objectStore(store));
        tx.oncomplete = function () { db.close(); resolve(req.result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function entries() {
    return run(QUEUE, "readonly", function (s) { return s.getAll(); });
  }

  function save(entry) {
    return run(QUEUE, "readwrite", function (s) { return s.put(entry); });
  }

  function drop(seq) {
    return run(QUEUE, "readwrite", function (s) { return s.delete(seq); });
  }

  /* Which account this phone was last logged in to (its entries go to that account only). */
  function account() {
    return run(META, "readonly", function (s) { return s.get("account"); })
      .then(function (row) { return row ? row.value : null; });
  }

  function setAccount(value) {
    return run(META, "readwrite", function (s) { return s.put({name: "account", value: value}); });
  }

  function uuid() {
    var c = root.crypto;
    if (c && c.randomUUID) { return c.randomUUID(); }
    var b = c.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); })
      .join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)]
      .join("-");
  }

  function keep(fields) {
    return account().then(function (who) {
      var entry = {at: new Date().toISOString(), account: who, state: "waiting"};
      Object.keys(fields).forEach(function (k) { entry[k] = fields[k]; });
      return save(entry).then(function (seq) { entry.seq = seq; return entry; });
    });
  }

  /* An attack starting now; its own id lets "It has ended" find it before it is sent. */
  function logStart() {
    return keep({kind: "start", client_id: uuid()});
  }

  /* The end of an attack: {client_id} (logged on this phone) or {attack_id} (on the server). */
  function logEnd(which) {
    return keep({kind: "end", client_id: which.client_id || null,
                 attack_id: which.attack_id || null});
  }

  function post(path, body, csrf) {
    return root.fetch(path, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body),
    });
  }

  function send(entry, csrf) {
    if (entry.kind === "start") {
      return post("/offline/attacks", {client_id: entry.client_id, started_at: entry.at,
                                       replace_checkin: entry.replace === true}, csrf);
    }
    var body = {ended_at: entry.at};
    if (entry.attack_id) { body.attack_id = entry.attack_id; } else { body.client_id = entry.client_id; }
    return post("/offline/attacks/end", body, csrf);
  }

  function refusal(response) {
    return response.json().then(function (doc) {
      return {message: doc.error.message, field: doc.error.field};
    }, function () { return {message: "the server did not take it (" + response.status + ")"}; });
  }

  var flushing = null;

  /* Send what is waiting, oldest first. Resolves with {sent, waiting, login}; a network
     failure stops the round and keeps the rest for the next one. */
  function flush() {
    if (flushing) { return flushing; }
    var report = {sent: 0, waiting: 0, login: false};
    flushing = entries().then(function (list) {
      var open = list.filter(function (e) { return e.state === "waiting"; });
      if (!open.length) { return report; }
      return root.fetch("/offline/state", {credentials: "same-origin", cache: "no-store"})
        .then(function (res) {
          if (!res.ok) { report.login = true; return null; }
          return res.json();
        })
        .then(function (state) {
          if (!state) { return report; }
          return setAccount(state.account).then(function () {
            return open.reduce(function (chain, entry) {
              return chain.then(function (go) {
                if (!go) { return false; }
                if (entry.account !== null && entry.account !== state.account) { return true; }
                return send(entry, state.csrf_token).then(function (res) {
                  if (res.ok) { report.sent += 1; return drop(entry.seq).then(function () { return true; }); }
                  if (res.status === 401 || res.status === 403) { report.login = true; return false; }
                  return refusal(res).then(function (why) {
                    entry.state = why.field === "replace_checkin" ? "ask" : "refused";
                    entry.message = why.message;
                    return save(entry).then(function () { return true; });
                  });
                });
              });
            }, Promise.resolve(true));
          });
        })
        .catch(function () { return report; })  // offline again: all of it waits
        .then(function () { return report; });
    }).then(function (result) {
      flushing = null;
      return entries().then(function (list) {
        result.waiting = list.filter(function (e) { return e.state === "waiting"; }).length;
        return result;
      });
    }, function (err) { flushing = null; throw err; });
    return flushing;
  }

  root.mwQueue = {logStart: logStart, logEnd: logEnd, entries: entries, save: save, drop: drop,
                  flush: flush, SAVED: SAVED};

  if (typeof root.document === "undefined") { return; }  // the service worker stops here

  var doc = root.document;

  function when(iso) {
    return new Date(iso).toLocaleString([], {weekday: "short", day: "numeric", month: "short",
                                             hour: "2-digit", minute: "2-digit"});
  }

  function el(tag, text, cls) {
    var node = doc.createElement(tag);
    if (text) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }

  function button(label, onClick, cls) {
    var b = el("button", label, cls);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  /* The status line at the top of <main>: what waits on this phone. */
  function notice(text) {
    var main = doc.querySelector("main");
    if (!main) { return; }
    var box = doc.getElementById("mw-queue-status");
    if (!box && !text) { return; }  /* nothing waits: no empty box before the page's own */
    if (!box) {
      box = el("p", "", "flash queue-status");
      box.id = "mw-queue-status";
      box.setAttribute("role", "status");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
    box.hidden = !text;
  }

  function describe(list) {
    var waiting = list.filter(function (e) { return e.state === "waiting"; }).length;
    if (!waiting) { return ""; }
    return (waiting === 1 ? "1 entry: " : waiting + " entries: ") + SAVED;
  }

  /* The offline page's list: every entry, with "It has ended" for an attack still going on. */
  function renderList(list) {
    var box = doc.getElementById("offline-entries");
    if (!box) { return; }
    box.textContent = "";
    var ended = {};
    list.forEach(function (e) { if (e.kind === "end" && e.client_id) { ended[e.client_id] = e.at; } });
    list.forEach(function (e) {
      if (e.kind !== "start") {
        if (!e.client_id) {
          box.appendChild(el("li", "An attack ended " + when(e.at) + ". " + status(e)));
        }
        return;
      }
      var item = el("li", "Attack started " + when(e.at) +
        (ended[e.client_id] ? ", ended " + when(ended[e.client_id]) : ", going on") + ". " +
        status(e));
      if (e.state === "ask") {
        item.appendChild(button("Log it anyway", function () {
          e.state = "waiting"; e.replace = true;
          save(e).then(refresh).then(sendNow);
        }, "secondary"));
      } else if (e.state === "refused") {
        item.appendChild(button("Remove from this phone", function () {
          drop(e.seq).then(refresh);
        }, "secondary"));
      } else if (!ended[e.client_id]) {
        item.appendChild(button("It has ended", function () {
          logEnd({client_id: e.client_id}).then(refresh).then(sendNow);
        }, "wide"));
      }
      box.appendChild(item);
    });
    var empty = doc.getElementById("offline-empty");
    if (empty) { empty.hidden = list.length > 0; }
  }

  function status(e) {
    if (e.state === "waiting") { return SAVED; }
    return "Not sent: " + e.message + ".";
  }

  function refresh() {
    return entries().then(function (list) {
      renderList(list);
      notice(describe(list));
      return list;
    });
  }

  function sendNow() {
    if (root.navigator.onLine === false) { return refresh(); }
    return flush().then(function (report) {
      return refresh().then(function () {
        if (report.login && report.waiting) {
          notice(report.waiting + " saved on this phone: log in to send them.");
        } else if (report.sent && !report.waiting) {
          notice("Sent: what was saved on this phone is now in your diary.");
        }
      });
    });
  }

  /* Offline, the header's "Log attack now" and an attack's "It has ended" keep the entry
     here instead of trying to send the form. */
  doc.addEventListener("submit", function (event) {
    if (root.navigator.onLine !== false) { return; }
    var form = event.target;
    var path = new URL(form.action, root.location.href).pathname;
    var end = /^\/attacks\/(\d+)\/end$/.exec(path);
    if (path !== "/attacks/now" && !end) { return; }
    event.preventDefault();
    (end ? logEnd({attack_id: Number(end[1])}) : logStart()).then(refresh);
  }, true);

  root.addEventListener("online", sendNow);
  root.addEventListener("offline", refresh);

  function start() {
    var offlinePage = doc.getElementById("offline-app");
    if (offlinePage) {
      var logButton = doc.getElementById("offline-log");
      logButton.hidden = false;
      logButton.addEventListener("click", function () { logStart().then(sendNow); });
    }
    var script = doc.querySelector("script[data-mw-offline]");
    if (offlinePage || (script && script.getAttribute("data-patient") === "1")) {
      sendNow();
    } else {
      refresh();
    }
    if ("serviceWorker" in root.navigator) {
      root.navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () {});
    }
  }

  if (doc.readyState === "loading") { doc.addEventListener("DOMContentLoaded", start); }
  else { start(); }
}(self));
