// Live progress for a generation: poll its JSON view and reload once it has finished, so the
// results and the publish form come from the server (the page works without this script).
(() => {
  const job = document.getElementById("job");
  if (!job || !["queued", "running"].includes(job.dataset.state)) return;
  const line = document.getElementById("status-line");
  const bar = document.getElementById("bar");
  async function poll() {
    let state;
    try {
      const response = await fetch(`/generations/${job.dataset.id}.json`, { headers: { Accept: "application/json" } });
      state = await response.json();
    } catch {
      setTimeout(poll, 2000);
      return;
    }
    if (state.state === "queued") {
      line.textContent = `Waiting in the queue: ${state.queue_position} ahead of you.`;
    } else if (state.state === "running") {
      line.textContent = `Generating: step ${state.step} of ${state.steps}` + (state.phase ? ` (${state.phase}).` : ".");
      bar.max = state.steps;
      bar.value = state.step;
    } else {
      window.location.reload();
      return;
    }
    setTimeout(poll, 700);
  }
  poll();
})();
