// The task console's own script. Every button works without it (a form post,
// then a redirect back); it only keeps the page fresh and asks before a cancel.

const refreshMs = 5000;

document.addEventListener('submit', (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// The notice belongs to the action just done: a reload should not say it again.
if (location.search) history.replaceState(null, '', location.pathname);

let refreshing = false;

/** Fetches the page again and swaps its live part in, keeping open error details open. */
async function refresh() {
  if (document.hidden || refreshing) return;
  refreshing = true;
  try {
    const response = await fetch(location.pathname, { headers: { accept: 'text/html' }, cache: 'no-store' });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const next = new DOMParser().parseFromString(await response.text(), 'text/html');
    const live = next.getElementById('live');
    if (!live) throw new Error('the answer was not the console');
    const open = [...document.querySelectorAll('#live tr[data-task] details[open]')].map((details) => details.closest('tr').dataset.task);
    document.getElementById('live').replaceWith(live);
    for (const id of open) live.querySelector(`tr[data-task="${CSS.escape(id)}"] details`)?.setAttribute('open', '');
    document.getElementById('stamp').replaceWith(next.getElementById('stamp'));
  } catch (error) {
    const stamp = document.getElementById('stamp');
    stamp.classList.add('stale');
    stamp.textContent = `Not updating: ${error.message}`;
  } finally {
    refreshing = false;
  }
}

setInterval(refresh, refreshMs);
document.addEventListener('visibilitychange', refresh);
