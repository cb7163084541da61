// The Exercises page's "Check" forms (docs/examples/exercises.py, check_form): Check
// opens the playground with the exercise's code and the count typed, through the
// playground's link contract (#code=...&counts=...), which runs it and diagnoses the count.
for (const form of document.querySelectorAll("form.exercise-check")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const counts = form.elements.counts.value.trim();
    let fragment = "code=" + form.dataset.code; // already percent-encoded by the build
    if (counts) fragment += "&counts=" + encodeURIComponent(counts);
    const playground = new URL(form.getAttribute("action"), location.href);
    location.assign(playground.pathname + "#" + fragment);
  });
}
