// Progressive enhancement for the attendance sheet: find a man by typing part of his name or
// the end of his prison number. It only hides cards on this page; nothing typed leaves the
// browser (no names in URLs). Without JavaScript the search box stays hidden and every card shows.
const box = document.querySelector("[data-filter]");
const input = document.querySelector("[data-filter-input]");
const count = document.querySelector("[data-filter-count]");
const cards = Array.from(document.querySelectorAll("[data-filter-card]"));

function matches(card, words) {
  const text = card.dataset.search;
  return words.every((word) => text.includes(word));
}

function filter() {
  const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const card of cards) {
    const show = matches(card, words);
    card.style.display = show ? "" : "none";
    shown += show ? 1 : 0;
  }
  count.textContent = words.length ? `Showing ${shown} of ${cards.length}` : "";
}

if (box && input && count) {
  box.hidden = false;
  input.addEventListener("input", filter);
}
