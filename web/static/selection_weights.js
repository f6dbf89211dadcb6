// Enhancement only: the weights page repeats, as the weights change, what the server says
// when the page is drawn (what is allocated, what is left, each group's share of the score).
// Without it the page works the same; the server checks the weights when the form is sent.
const form = document.getElementById("weights-form");
if (form) {
  const price = form.querySelector("#price-weight");
  const groups = [...form.querySelectorAll("[data-group-weight]")];
  const summary = form.querySelector("[data-allocation]");
  const whole = (input) => (/^\d{1,3}$/.test(input.value.trim()) ? Number(input.value) : 0);

  const update = () => {
    const priceWeight = Number(price.value) || 0;
    const nonPrice = 100 - priceWeight;
    let allocated = 0;
    for (const input of groups) {
      const weight = whole(input);
      allocated += weight;
      const share = form.querySelector(`[data-share-of="${input.id.replace("weight-", "")}"]`);
      if (share) share.textContent = ` = ${((weight * nonPrice) / 100).toFixed(1)} % of the whole score`;
    }
    const left = 100 - allocated;
    const state =
      left === 0 ? "nothing left to allocate." : left > 0 ? `${left} left to allocate.` : `${-left} too many.`;
    summary.textContent =
      `Allocated ${allocated} of 100 between the groups: ${state} ` +
      `Price ${priceWeight} %, requirements ${nonPrice} %.`;
  };

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  // Entries made before this script ran (a slow page, or values the browser restored on
  // going back) count too.
  update();
}
