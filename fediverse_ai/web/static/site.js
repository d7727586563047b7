// Small progressive enhancements; every page works without them.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("#copy-recipe");
  if (!button) return;
  const text = document.getElementById(button.dataset.target).value;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.getElementById(button.dataset.target);
    area.select();
    document.execCommand("copy");
  }
  button.textContent = "Copied";
});
