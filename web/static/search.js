// Enhancement only: a changed filter or sort order updates the results without reloading the
// page. Without JavaScript the "Apply filters" button does the same with a page load.
const form = document.getElementById("search-form");

async function refresh() {
  const url = `${form.action}?${new URLSearchParams(new FormData(form))}`;
  const response = await fetch(url, { headers: { Accept: "text/html" } });
  if (!response.ok) {
    window.location.assign(url);
    return;
  }
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
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
