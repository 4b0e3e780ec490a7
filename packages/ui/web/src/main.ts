/*
 * The page of `chronovisor ui`: a recorded run, at any position. Each view loads what it shows
 * at each seek (page-state.ts); this file only puts them together.
 */
import { api } from './api-client';
import { pluginColours } from './colours';
import { mountCurrentRecord } from './current-record';
import { byId } from './dom';
import { ErrorLine } from './error-line';
import { HexView } from './hex-view';
import { followLinks } from './links';
import { MemoryLayouts } from './memory-layouts';
import { mountMemoryMap } from './memory-map';
import { PageState } from './page-state';
import { mountPanels } from './panels';
import { ProvenanceView } from './provenance';
import { mountRecordList } from './record-list';
import { mountStops } from './stops';
import { mountTimeline } from './timeline';
import { bindKeys, mountTopBar } from './top-bar';

async function start(errors: ErrorLine): Promise<void> {
  const run = await api.run();
  document.title = `${run.file} · Chronovisor`;
  const state = new PageState(run, errors);
  const colourOf = pluginColours(run);
  const layouts = new MemoryLayouts();

  const { continueRun } = mountStops(byId('stops'), state);
  mountTopBar(byId('top-bar'), state, continueRun);
  bindKeys(state, continueRun);
  mountTimeline(byId('timeline'), state, colourOf, errors);
  mountCurrentRecord(byId('current-record'), state, colourOf);
  mountRecordList(byId('record-list'), state, colourOf);
  const provenance = new ProvenanceView(byId('provenance'));
  const hexView = new HexView(byId('hex-view'), state, layouts, provenance);
  const openAddress = (space: number, va: number) => hexView.open(space, va);
  mountMemoryMap(byId('memory-map'), state, layouts, openAddress);
  mountPanels(byId('panels'), state);
  followLinks(document.body, (seq) => state.seek(seq), openAddress);

  // A reload keeps the position (the address bar's #seq=N).
  const fromHash = /^#seq=(\d+)$/.exec(location.hash)?.[1];
  state.seek(fromHash === undefined ? 0 : Number(fromHash));
}

const errors = new ErrorLine(byId('error'));
start(errors).catch((error: unknown) => {
  errors.show(error);
  document.body.dataset.busy = 'false';
});
