// Enhancement only: as the go-live or notice date is typed, the server works the dates out
// again (bedding-in end, notice, the end of the previous service) and prices the audit-trail
// options, without saving. Without JavaScript the "Work out the dates" button does the same.
const form = document.querySelector("form[data-migration-form]");
const DELAY_MS = 400;
let timer = null;
let inFlight = null;

function formData() {
  const data = new FormData(form);
  data.set("action", "dates");
  return data;
}

function fingerprint(data) {
  return new URLSearchParams(data).toString();
}

async function workOut() {
  // Only the newest answer may touch the page: an older one arriving late would show the
  // dates of what the person typed before.
  if (inFlight) {
    inFlight.abort();
  }
  const controller = new AbortController();
  inFlight = controller;
  const data = formData();
  const sent = fingerprint(data);
  let response;
  try {
    // The form has controls named "action": its address is read from the attribute.
    response = await fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      headers: { Accept: "text/html" },
      signal: controller.signal,
    });
  } catch (error) {
    if (controller.signal.aborted) {
      return;
    }
    return; // the button still works: nothing to undo
  }
  if (!response.ok) {
    return; // a date not yet whole: the page says so when the form is sent
  }
  const html = await response.text();
  if (inFlight !== controller || fingerprint(formData()) !== sent) {
    return;
  }
  inFlight = null;
  const page = new DOMParser().parseFromString(html, "text/html");
  // The dates (a polite live region, so the new dates are read out) and the options priced
  // for them; the live region itself stays, only its content changes.
  for (const id of ["migration-dates", "migration-options"]) {
    const fresh = page.getElementById(id);
    const current = document.getElementById(id);
    if (fresh && current) {
      current.innerHTML = fresh.innerHTML;
    }
  }
}

if (form) {
  form.addEventListener("input", (event) => {
    if (!event.target.matches("#planned-go-live, #notice-given-on")) {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      workOut();
    }, DELAY_MS);
  });
}
