/* ToxWatch patient app: the service worker (scope /app/), rendered by patientapp.views.
   The app's files are kept for offline use; the API is never cached here (the app keeps its
   data in IndexedDB), so an API call offline fails at once and the entry stays in the outbox. */
const VERSION = "{{ version }}";
const CACHE = `toxwatch-app-${VERSION}`;
const PRECACHE = {{ precache_json|safe }};
const ICON = "{{ icon }}";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("toxwatch-app-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return; // never cached: the outbox handles offline
  if (event.request.mode === "navigate" && url.pathname.startsWith("/app")) {
    // The shell for every page of the app (hash routes), fresh when online.
    event.respondWith(
      fetch(event.request).then((response) => {
        if (response.ok) caches.open(CACHE).then((cache) => cache.put("/app/", response.clone()));
        return response;
      }).catch(() => caches.match("/app/")),
    );
    return;
  }
  event.respondWith(caches.match(event.request).then((hit) => hit || fetch(event.request)));
});

// Reminders (Web Push): the payload carries no patient data, only what to open.
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "ToxWatch", {
    body: data.body || "",
    tag: data.tag || "toxwatch",
    icon: ICON,
    data: { url: data.url || "/app/" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = (event.notification.data && event.notification.data.url) || "/app/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (client.url.includes("/app/")) { client.navigate(target); return client.focus(); }
      }
      return self.clients.openWindow(target);
    }),
  );
});
