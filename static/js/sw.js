// The service worker: keeps a session's self-referral pages on the tablet so volunteers can carry
// on recording when the prison's wifi drops (the outbox, static/js/outbox.js, keeps what they
// submit). It keeps only the static files and GET pages under
// /visits/<v>/sessions/<s>/referrals/: never a POST, never any other page. Logging out clears
// it all (the server sends Clear-Site-Data).
const CACHE = "inreach-v1";
const SHELL = [
  "/static/vendor/nhsuk/nhsuk-frontend.min.css",
  "/static/vendor/nhsuk/nhsuk-frontend.min.js",
  "/static/vendor/nhsuk/assets/images/favicon.svg",
  "/static/css/inreach.css",
  "/static/js/frontend.js",
  "/static/js/outbox.js",
  "/static/js/attendance-filter.js",
];
const CAPTURE = /^\/visits\/\d+\/sessions\/\d+\/referrals\//;
const PATIENCE = 5000;  // ms to wait for a slow network before using the kept copy
const FRESH = 10 * 60 * 1000;  // ms a kept form is used before it is fetched again
const OFFLINE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>No connection – inreach</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/vendor/nhsuk/nhsuk-frontend.min.css"></head>
<body><div class="nhsuk-width-container"><main class="nhsuk-main-wrapper" id="maincontent">
<h1>No connection</h1>
<p>This page is not kept on this tablet, so it needs the wifi.</p>
<p>A session's self-referral list, and the form of each man not yet recorded, work without wifi
once the list has been opened while connected. Use the browser's back button to return.</p>
</main></div></body></html>`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  const old = (names) => names.filter((name) => name !== CACHE);
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(old(names).map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.startsWith("/static/")) event.respondWith(staticFile(event));
  else if (CAPTURE.test(url.pathname)) event.respondWith(networkFirst(request));
  else if (request.mode === "navigate") event.respondWith(fetch(request).catch(offlinePage));
});

// outbox.js, on a session's list seen online: keep these men's forms, let go of those.
self.addEventListener("message", (event) => {
  const ours = (urls) => (Array.isArray(urls) ? urls : []).filter(isCapturePage);
  event.waitUntil(refresh(ours(event.data?.keep), ours(event.data?.forget)));
});

function isCapturePage(href) {
  const url = new URL(href, location.origin);
  return url.origin === location.origin && CAPTURE.test(url.pathname);
}

async function refresh(keepUrls, forgetUrls) {
  const cache = await caches.open(CACHE);
  await Promise.all(forgetUrls.map((url) => cache.delete(url)));
  for (const url of keepUrls) {  // one at a time, to go easy on the server
    const kept = await cache.match(url, {ignoreVary: true});
    if (kept && Date.now() - Date.parse(kept.headers.get("Date")) < FRESH) continue;
    try {
      await keep(url, await fetch(url));
    } catch {
      return;  // the wifi went: keep what is there
    }
  }
}

// Keeps a page the server gave this login (not a redirect to log in, not an error).
async function keep(url, response) {
  if (response.ok && !response.redirected && response.type === "basic") {
    const cache = await caches.open(CACHE);
    await cache.put(url, response.clone());
  }
  return response;
}

// The latest page from the server when it answers, else the copy kept on the tablet.
async function networkFirst(request) {
  const network = fetch(request).then((response) => keep(request.url, response));
  network.catch(() => {});  // handled below; this only stops an "unhandled rejection" warning
  const slow = new Promise((resolve) => setTimeout(resolve, PATIENCE, null));
  try {
    const response = await Promise.race([network, slow]);
    if (response) return response;
  } catch {
    // offline: fall through to the copy kept on the tablet
  }
  const kept = await caches.match(request.url, {ignoreVary: true});
  return kept || network.catch(offlinePage);
}

// Static files from the tablet at once, refreshed from the server for next time.
async function staticFile(event) {
  const network = fetch(event.request).then(async (response) => {
    if (response.ok) await (await caches.open(CACHE)).put(event.request, response.clone());
    return response;
  });
  const kept = await caches.match(event.request, {ignoreVary: true});
  if (!kept) return network;
  event.waitUntil(network.catch(() => {}));
  return kept;
}

function offlinePage() {
  return new Response(OFFLINE, {status: 503, headers: {
    "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}});
}
