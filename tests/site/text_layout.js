// Text a reader cannot read whole, as the page is drawn now (tests/site/test_site.py).
// One function, evaluated once per page and width; it returns one sentence per problem:
// - two sibling text boxes (table cells, list items, paragraphs, headings, labels)
//   drawn over each other, including a phone card's column label (a `::before`
//   drawn from `data-label`, measured with an invisible copy of itself);
// - text that spills out of its own box (a card, a cell) sideways;
// - text cut off by an ancestor that hides its overflow (overflow: hidden or clip).
// Elements that scroll (overflow: auto) are the sideways check's business (OVERFLOW).
() => {
  const TEXT = "th, td, li, p, dt, dd, h1, h2, h3, h4, h5, h6, label, summary, figcaption, caption";
  const article = document.querySelector("article") || document.body;
  const problems = [];
  const say = (el) => {
    const tag = el.tagName.toLowerCase();
    const text = (el.textContent || el.dataset.label || "").trim().replace(/\s+/g, " ");
    return `${tag} "${text.slice(0, 50)}"`;
  };
  const overlap = (a, b) =>
    Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  const visible = (el) => {
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && (el.textContent || "").trim() !== "";
  };
  const elements = Array.from(article.querySelectorAll(TEXT)).filter(visible);
  const boxes = new Map(elements.map((el) => [el, el.getBoundingClientRect()]));

  // A cell's column label drawn beside it (the phone cards, extra.css): where is it?
  const labels = new Map();
  for (const el of elements) {
    if (!el.dataset.label) continue;
    const before = getComputedStyle(el, "::before");
    if (before.position !== "absolute" || before.content === "none") continue;
    const probe = document.createElement("span");
    for (const name of ["font-size", "font-family", "font-weight", "line-height",
      "letter-spacing", "overflow-wrap", "word-break", "white-space"]) {
      probe.style.setProperty(name, before.getPropertyValue(name));
    }
    probe.style.position = "absolute";
    probe.style.visibility = "hidden";
    probe.style.left = before.left;
    probe.style.top = before.top === "auto" ? getComputedStyle(el).paddingTop : before.top;
    probe.style.width = before.width;
    probe.textContent = el.dataset.label;
    el.append(probe);
    const label = probe.getBoundingClientRect();
    probe.remove();
    labels.set(el, label);
    const card = el.parentElement.getBoundingClientRect();
    if (label.bottom > card.bottom + 1 || label.right > card.right + 1) {
      problems.push(`the label "${el.dataset.label}" spills out of its card`);
    }
  }

  // 1. Siblings drawn over each other (a label over the next cell, a heading over a table).
  const byParent = new Map();
  for (const el of elements) {
    const list = byParent.get(el.parentElement) || [];
    list.push(el);
    byParent.set(el.parentElement, list);
  }
  for (const siblings of byParent.values()) {
    const drawn = [];
    for (const el of siblings) {
      drawn.push({ el, box: boxes.get(el), what: say(el) });
      if (labels.has(el)) {
        drawn.push({ el, box: labels.get(el), what: `the label "${el.dataset.label}"` });
      }
    }
    drawn.sort((a, b) => a.box.top - b.box.top);
    for (let i = 0; i < drawn.length; i += 1) {
      for (let j = i + 1; j < drawn.length && drawn[j].box.top < drawn[i].box.bottom; j += 1) {
        if (drawn[i].el !== drawn[j].el && overlap(drawn[i].box, drawn[j].box)) {
          problems.push(`${drawn[i].what} overlaps ${drawn[j].what}`);
        }
      }
    }
  }

  // 2. Text wider than its own box, drawn outside it (not scrolled, not clipped).
  for (const el of elements) {
    const style = getComputedStyle(el);
    if (style.display.startsWith("inline") && style.display !== "inline-block") continue;
    if (style.overflowX !== "visible") continue;
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    // Only the text counts (an inline code's padding may overhang a line's end).
    const box = boxes.get(el);
    const right = box.left + el.clientLeft + el.clientWidth;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    let far = 0;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) far = Math.max(far, rect.right);
    }
    if (far > right + 1) {
      problems.push(`${say(el)} spills out of its box by ${Math.round(far - right)} px`);
    }
  }

  // 3. Text cut off by an ancestor that hides what does not fit.
  // (A box that scrolls shows the rest on scrolling: the walk stops there.)
  const overflows = new Map();
  const overflow = (el) => {
    if (!overflows.has(el)) {
      const style = getComputedStyle(el);
      const values = [style.overflowX, style.overflowY];
      overflows.set(el, values.some((v) => v === "auto" || v === "scroll") ? "scrolls"
        : values.some((v) => v === "hidden" || v === "clip") ? "hides" : "");
    }
    return overflows.get(el);
  };
  for (const el of elements) {
    const box = boxes.get(el);
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (overflow(up) === "scrolls") break;
      if (overflow(up) !== "hides") continue;
      const outer = up.getBoundingClientRect();
      if (box.left < outer.left - 1 || box.right > outer.right + 1 ||
        box.top < outer.top - 1 || box.bottom > outer.bottom + 1) {
        problems.push(`${say(el)} is cut off by ${up.tagName.toLowerCase()}.${up.classList[0] || ""}`);
        break;
      }
    }
  }
  return problems;
}
