// The language switch keeps the section the reader is in: every heading has the same id in
// both languages (the Chinese headings carry their English twin's id), so the #anchor of the
// current address is carried over to the other language's page.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a.md-select__link[hreflang]");
  if (!link || !location.hash) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.hash) return;
  url.hash = location.hash;
  link.href = url.href;
});
