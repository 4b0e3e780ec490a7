import { parseSpaceAddress } from './format';

/**
 * Links anywhere on the page (causes, record lists, provenance, panels) carry `data-seq` or
 * `data-address`; one listener follows them all, so views only draw links.
 */
export function followLinks(
  root: HTMLElement,
  seek: (seq: number) => void,
  openAddress: (space: number, va: number) => void,
): void {
  root.addEventListener('click', (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const link = (event.target as Element).closest<HTMLElement>('a[data-seq], a[data-address]');
    if (!link) return;
    event.preventDefault();
    if (link.dataset.seq !== undefined) seek(Number(link.dataset.seq));
    else {
      const at = parseSpaceAddress(link.dataset.address ?? '');
      if (at) openAddress(at.space, at.va);
    }
  });
}
