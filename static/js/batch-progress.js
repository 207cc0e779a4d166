// A batch's page while it runs: fetch the page again every 2 seconds and show its status part,
// until the batch is ready (or stopped). Without JavaScript the page has a link to look again.
const STATUS = document.querySelector("[data-batch-status]");

async function look() {
  const response = await fetch(location.pathname, {cache: "no-store"});
  if (!response.ok) return true;  // keep what is shown; try again
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.querySelector("[data-batch-status]");
  if (!fresh) return false;  // logged out meanwhile: stop
  STATUS.replaceChildren(...fresh.childNodes);
  return STATUS.querySelector("[data-batch-running]") !== null;
}

function poll() {
  setTimeout(async () => {
    const running = await look().catch(() => true);
    if (running) poll();
  }, 2000);
}

if (STATUS?.querySelector("[data-batch-running]")) poll();
