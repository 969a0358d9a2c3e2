// Pitnotes' small progressive enhancements; every page works without them.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Forms with data-confirm ask before they are sent (deleting a note).
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }

  // The "saved" message fades out after a few seconds.
  const flash = document.querySelector(".flash");
  if (flash) {
    setTimeout(() => flash.classList.add("is-hidden"), 4000);
  }
});
