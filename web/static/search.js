// Enhancement only: a changed filter or sort order updates the results without reloading the
// page. Without JavaScript the "Apply filters" button does the same with a page load.
const form = document.getElementById("search-form");
let inFlight = null;

function formQuery() {
  return new URLSearchParams(new FormData(form)).toString();
}

async function refresh() {
  // Only the newest request may touch the page: an older answer arriving late would untick
  // what the person has ticked since.
  if (inFlight) {
    inFlight.abort();
  }
  const controller = new AbortController();
  inFlight = controller;
  const query = formQuery();
  const url = `${form.action}?${query}`;
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "text/html" }, signal: controller.signal });
  } catch (error) {
    if (controller.signal.aborted) {
      return;
    }
    throw error;
  }
  if (!response.ok) {
    window.location.assign(url);
    return;
  }
  const html = await response.text();
  // The person changed the form while this answer was on its way (typed a word, or a newer
  // request replaced this one): keep what they did rather than this answer.
  if (inFlight !== controller || formQuery() !== query) {
    return;
  }
  inFlight = null;
  const page = new DOMParser().parseFromString(html, "text/html");
  const focused = document.activeElement && document.activeElement.id;
  for (const id of ["search-form", "search-results"]) {
    const fresh = page.getElementById(id);
    const current = document.getElementById(id);
    if (fresh && current) {
      current.innerHTML = fresh.innerHTML;
    }
  }
  document.title = page.title;
  window.history.replaceState(null, "", url);
  if (focused && document.getElementById(focused)) {
    document.getElementById(focused).focus();
  }
}

if (form) {
  form.addEventListener("change", (event) => {
    if (event.target.matches("input[type=radio], input[type=checkbox], select")) {
      refresh().catch(() => form.submit());
    }
  });
}
