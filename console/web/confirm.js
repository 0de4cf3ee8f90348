/** Asks for a reason before an action; resolves to the reason, or null when cancelled. */
import { replace } from './dom.js';

export function confirmAction(title, detail) {
  const dialog = document.getElementById('confirm');
  const reason = document.getElementById('confirm-reason');
  replace(document.getElementById('confirm-title'), title);
  replace(document.getElementById('confirm-detail'), detail);
  reason.value = '';
  dialog.returnValue = '';
  dialog.showModal();
  reason.focus();
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () =>
        resolve(dialog.returnValue === 'confirm' && reason.value.trim() !== '' ? reason.value.trim() : null),
      { once: true },
    );
  });
}
