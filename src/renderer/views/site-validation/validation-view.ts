/**
 * "Validate on our films": the clinic runs the model over its own labelled films (folders plus a
 * `path,label` CSV, or the readings recorded in the viewer) and sees what `evaluate` reports plus
 * calibration, each figure with its 95% interval, its n and a warning when n is too small. From
 * the same films it may choose a site operating point, save it as a named site profile, and
 * switch profiles (or switch them off). Nothing is chosen silently: a saved profile is used only
 * after the user selects it here.
 */
import type {
  Estimate,
  SiteOperatingPointChoice,
  SiteProfile,
  SiteProfilesState,
  SiteValidationReport,
} from '../../../shared/site-profile';
import { significant } from '../../../shared/verdict';
import { call, errorInfoOf } from '../../base/ipc';
import { button, clear, h } from '../../base/dom';
import { describeError } from '../../base/error-messages';
import {
  decimal,
  estimateCells,
  parseTargetSensitivity,
  percent,
  svgDataUrl,
} from './validation-format';
import { DriftPanel } from './drift-panel';
import './validation.css';

export interface ValidationViewEvents {
  /** The site profile in use changed (the viewer asks the model again). */
  onProfileChanged(state: SiteProfilesState): void;
}

const NO_PROFILE = '';

export class ValidationView {
  readonly root: HTMLElement;
  private readonly folderList: HTMLElement;
  private readonly labelsCsvInput: HTMLInputElement;
  private readonly readerLabelsInput: HTMLInputElement;
  private readonly labelsText: HTMLElement;
  private readonly runButton: HTMLButtonElement;
  private readonly progress: HTMLProgressElement;
  private readonly message: HTMLElement;
  private readonly report: HTMLElement;
  private readonly operating: HTMLElement;
  private readonly labelSelect: HTMLSelectElement;
  private readonly targetInput: HTMLInputElement;
  private readonly choiceBox: HTMLElement;
  private readonly profileName: HTMLInputElement;
  private readonly saveButton: HTMLButtonElement;
  private readonly recalibrateInput: HTMLInputElement;
  private readonly profiles: HTMLElement;
  private readonly inUse: HTMLElement;
  private folders: { folderId: string; displayPath: string }[] = [];
  private labelsFile: { labelsId: string; displayPath: string } | null = null;
  private readingsCount = 0;
  private current: SiteValidationReport | null = null;
  private choice: SiteOperatingPointChoice | null = null;
  private running = false;

  constructor(private readonly events: ValidationViewEvents) {
    this.folderList = h('ul', {
      className: 'folder-list',
      attrs: { 'data-testid': 'validation-folders' },
    });
    this.labelsCsvInput = h('input', {
      attrs: {
        type: 'radio',
        name: 'validation-labels',
        value: 'labels-csv',
        'data-testid': 'labels-csv',
      },
    });
    this.readerLabelsInput = h('input', {
      attrs: {
        type: 'radio',
        name: 'validation-labels',
        value: 'reader-readings',
        'data-testid': 'labels-readings',
      },
    });
    this.labelsCsvInput.checked = true;
    for (const input of [this.labelsCsvInput, this.readerLabelsInput]) {
      input.addEventListener('change', () => this.updateButtons());
    }
    this.labelsText = h('span', {
      className: 'muted small',
      attrs: { 'data-testid': 'labels-file' },
    });
    this.runButton = button('Run validation', () => void this.run(), { className: 'btn primary' });
    this.runButton.dataset.testid = 'run-validation';
    this.progress = h('progress', {
      attrs: { max: '1', value: '0', 'aria-label': 'Validation progress' },
    });
    this.message = h('div', {
      className: 'validation-message',
      attrs: { role: 'status', 'data-testid': 'validation-message' },
    });
    this.report = h('div', {
      className: 'validation-report',
      attrs: { 'data-testid': 'validation-report' },
    });

    this.labelSelect = h('select', {
      attrs: { 'aria-label': 'Class', 'data-testid': 'operating-label' },
    });
    this.targetInput = h('input', {
      attrs: {
        type: 'text',
        value: '90',
        size: '5',
        'aria-label': 'Target sensitivity (%)',
        'data-testid': 'target-sensitivity',
      },
    });
    this.choiceBox = h('div', { attrs: { 'data-testid': 'operating-choice' } });
    this.profileName = h('input', {
      attrs: {
        type: 'text',
        maxlength: '48',
        placeholder: 'Profile name, e.g. Our ED 2026',
        'aria-label': 'Profile name',
        'data-testid': 'profile-name',
      },
    });
    this.saveButton = button('Save as site profile', () => void this.saveProfile(), {
      title:
        'Save this threshold with the figures that chose it (it is used only once you select it below)',
    });
    this.saveButton.dataset.testid = 'save-profile';
    this.recalibrateInput = h('input', {
      attrs: { type: 'checkbox', 'data-testid': 'profile-recalibrate' },
    });
    const chooseButton = button('Show threshold', () => void this.choose());
    chooseButton.dataset.testid = 'choose-threshold';
    this.operating = h(
      'div',
      { className: 'panel operating-point', attrs: { 'aria-label': 'Site operating point' } },
      [
        h('h3', { text: 'Site operating point' }),
        h('p', {
          className: 'muted small',
          text: 'The threshold of one class that reaches a target sensitivity on the films above, with its 95% bootstrap interval and the specificity and PPV there. Saving it does not use it: select it under "Site profile in use".',
        }),
        h('div', { className: 'toolbar' }, [
          h('label', { text: 'Class ' }, [this.labelSelect]),
          h('label', { text: 'Target sensitivity (%) ' }, [this.targetInput]),
          chooseButton,
        ]),
        this.choiceBox,
        h('div', { className: 'toolbar' }, [this.profileName, this.saveButton]),
        h('label', { className: 'small' }, [
          this.recalibrateInput,
          ' Also recalibrate the probabilities on these films (a temperature and a class-prior shift; outputs then say "site-calibrated")',
        ]),
      ],
    );
    this.operating.hidden = true;

    this.inUse = h('div', {
      className: 'profile-in-use',
      attrs: { role: 'status', 'data-testid': 'profile-in-use' },
    });
    this.profiles = h('div', {
      className: 'profile-list',
      attrs: { 'data-testid': 'site-profiles' },
    });

    this.root = h(
      'section',
      { className: 'validation-view', attrs: { 'aria-label': 'Validate on our films' } },
      [
        h('div', { className: 'validation-controls panel' }, [
          h('h2', { text: 'Validate on our films' }),
          h('p', {
            className: 'muted small',
            text: 'How does the model do on your own patients? Choose folders of films and their labels; the figures below come from your films only. Research and triage support, not a diagnosis.',
          }),
          h('div', { className: 'toolbar' }, [
            button('Add folder…', () => void this.pickFolder()),
            button('Clear', () => {
              this.folders = [];
              this.renderFolders();
            }),
          ]),
          this.folderList,
          h('fieldset', {}, [
            h('legend', { text: 'Labels' }),
            h('label', {}, [this.labelsCsvInput, ' A labels CSV (path,label) ']),
            button('Choose CSV…', () => void this.pickLabels()),
            this.labelsText,
            h('label', {}, [this.readerLabelsInput, ' The readings recorded in the viewer']),
          ]),
          h('div', { className: 'toolbar' }, [this.runButton]),
          this.progress,
          this.message,
          h('h3', { text: 'Site profile in use' }),
          this.inUse,
          this.profiles,
        ]),
        h('div', { className: 'validation-results panel' }, [
          this.report,
          this.operating,
          new DriftPanel().root,
        ]),
      ],
    );
    window.api.on('siteValidation:progress', ({ done, total }) => {
      this.progress.max = Math.max(1, total);
      this.progress.value = done;
      this.message.textContent = `Running the model over the films: ${done} of ${total}`;
    });
    this.renderFolders();
  }

  /** Called when the view becomes visible. */
  activate(): void {
    void this.refreshProfiles();
    void call('readings:list', {}).then(
      (readings) => {
        this.readingsCount = readings.length;
        this.readerLabelsInput.parentElement?.replaceChildren(
          this.readerLabelsInput,
          ` The readings recorded in the viewer (${readings.length})`,
        );
        this.updateButtons();
      },
      () => undefined,
    );
  }

  private updateButtons(): void {
    const labelsReady = this.readerLabelsInput.checked
      ? this.readingsCount > 0
      : this.labelsFile !== null;
    this.runButton.disabled = this.running || this.folders.length === 0 || !labelsReady;
  }

  private renderFolders(): void {
    clear(this.folderList);
    for (const folder of this.folders)
      this.folderList.append(h('li', { text: folder.displayPath }));
    if (this.folders.length === 0)
      this.folderList.append(h('li', { className: 'muted', text: 'No folder chosen.' }));
    this.updateButtons();
  }

  private showError(error: unknown): void {
    const described = describeError(errorInfoOf(error));
    this.message.textContent = `${described.sentence} (${described.detail})`;
    this.message.classList.add('error');
  }

  private async pickFolder(): Promise<void> {
    try {
      const picked = await call('screening:pickFolder', {});
      if (picked && !this.folders.some((f) => f.folderId === picked.folderId))
        this.folders.push(picked);
      this.renderFolders();
    } catch (error) {
      this.showError(error);
    }
  }

  private async pickLabels(): Promise<void> {
    try {
      const picked = await call('siteValidation:pickLabels', {});
      if (picked) {
        this.labelsFile = picked;
        this.labelsText.textContent = picked.displayPath;
        this.labelsCsvInput.checked = true;
      }
      this.updateButtons();
    } catch (error) {
      this.showError(error);
    }
  }

  private async run(): Promise<void> {
    this.running = true;
    this.updateButtons();
    this.message.classList.remove('error');
    this.message.textContent = 'Finding the films and joining their labels…';
    this.progress.value = 0;
    try {
      const labels =
        this.readerLabelsInput.checked || this.labelsFile === null
          ? { kind: 'reader-readings' as const }
          : { kind: 'labels-csv' as const, labelsId: this.labelsFile.labelsId };
      const report = await call('siteValidation:run', {
        folderIds: this.folders.map((f) => f.folderId),
        labels,
      });
      this.current = report;
      this.choice = null;
      this.message.textContent = `Validated ${report.films.scored} scored films (run ${report.runId}).`;
      this.renderReport(report);
    } catch (error) {
      this.showError(error);
    } finally {
      this.running = false;
      this.updateButtons();
    }
  }

  private estimateRow(name: string, estimate: Estimate, format = percent): HTMLTableRowElement {
    const cells = estimateCells(estimate, format);
    return h('tr', { className: estimate.warning ? 'inconclusive' : '' }, [
      h('th', { text: name, attrs: { scope: 'row' } }),
      h('td', { className: 'num', text: cells.value }),
      h('td', { className: 'num', text: cells.interval }),
      h('td', { className: 'num', text: cells.n }),
      h('td', { className: 'warning-cell', text: cells.warning }),
    ]);
  }

  private figuresTable(rows: HTMLTableRowElement[], testId: string): HTMLTableElement {
    return h('table', { className: 'results figures', attrs: { 'data-testid': testId } }, [
      h('thead', {}, [
        h('tr', {}, [
          h('th', { text: 'Figure' }),
          h('th', { text: 'Value' }),
          h('th', { text: '95% interval' }),
          h('th', { text: 'n' }),
          h('th', { text: 'Can we conclude?' }),
        ]),
      ]),
      h('tbody', {}, rows),
    ]);
  }

  private renderReport(report: SiteValidationReport): void {
    clear(this.report);
    const f = report.films;
    const excluded = Object.entries(f.excludedByLabel)
      .map(([label, count]) => `${count} labelled "${label}"`)
      .join(', ');
    const rows: HTMLTableRowElement[] = [this.estimateRow('Accuracy', report.accuracy)];
    for (const label of report.labels) {
      const c = report.perClass[label];
      rows.push(
        this.estimateRow(`${label} sensitivity`, c.sensitivity),
        this.estimateRow(`${label} PPV`, c.ppv),
        this.estimateRow(`${label} AUC (one vs rest)`, c.auc, decimal),
      );
    }
    rows.push(this.estimateRow('Turned away by the chest gate', report.gateRejections));
    if (report.verdicts) {
      rows.push(
        this.estimateRow('Uncertain', report.verdicts.uncertain),
        this.estimateRow('Unfamiliar film', report.verdicts.unfamiliar),
        this.estimateRow('Accuracy of confident calls', report.verdicts.callAccuracy),
      );
    }
    const calibration = report.calibration
      ? `Calibration: the model is ${report.calibration.calibrated ? 'calibrated' : 'uncalibrated'}; expected calibration error on these films ${decimal(report.calibration.ece)} (n=${report.calibration.n}).${report.calibration.warning ? ` ${report.calibration.warning}` : ''}`
      : 'Calibration: not reported for this model.';
    const matrix = h(
      'table',
      { className: 'results confusion', attrs: { 'data-testid': 'validation-confusion' } },
      [
        h('thead', {}, [
          h('tr', {}, [
            h('th', { text: 'Label \\ AI' }),
            ...report.labels.map((l) => h('th', { text: l })),
          ]),
        ]),
        h(
          'tbody',
          {},
          report.confusionMatrix.map((row, i) =>
            h('tr', {}, [
              h('th', { text: report.labels[i], attrs: { scope: 'row' } }),
              ...row.map((count) => h('td', { className: 'num', text: String(count) })),
            ]),
          ),
        ),
      ],
    );
    this.report.append(
      h('h3', { text: `Results on your films (model ${report.modelId})` }),
      h('p', {
        attrs: { 'data-testid': 'validation-films' },
        text: `${f.found} films found; ${f.labelled} labelled with a model class; ${f.scored} scored, ${f.rejectedByGate} turned away by the chest gate, ${f.unreadable} unreadable, ${f.unlabelled} without a label${excluded ? `, not evaluated: ${excluded}` : ''}${f.labelsWithoutFilm ? `; ${f.labelsWithoutFilm} labels name no film in these folders` : ''}.`,
      }),
      ...(report.warnings.length > 0
        ? [
            h(
              'ul',
              { className: 'validation-warnings', attrs: { 'data-testid': 'validation-warnings' } },
              report.warnings.map((w) => h('li', { text: w })),
            ),
          ]
        : []),
      this.figuresTable(rows, 'validation-figures'),
      h('p', { className: 'small', text: calibration }),
      h('h3', { text: 'Confusion matrix' }),
      matrix,
      h(
        'div',
        { className: 'validation-plots' },
        report.plots.map((plot) =>
          h('figure', { attrs: { 'data-testid': `plot-${plot.file}` } }, [
            h('img', { attrs: { src: svgDataUrl(plot.svg), alt: plot.title } }),
            h('figcaption', { text: plot.title }),
          ]),
        ),
      ),
      ...(report.gateRejections.reasons.length > 0
        ? [
            h('h3', { text: 'Films the chest gate turned away' }),
            h(
              'ul',
              { className: 'small' },
              report.gateRejections.reasons.map((r) => h('li', { text: `${r.file}: ${r.reason}` })),
            ),
          ]
        : []),
      h('p', { className: 'muted small', text: `Files of this run: ${report.files.join(', ')}` }),
    );
    clear(this.labelSelect);
    for (const label of report.labels)
      this.labelSelect.append(h('option', { text: label, attrs: { value: label } }));
    if (report.labels.includes('COVID-19')) this.labelSelect.value = 'COVID-19';
    clear(this.choiceBox);
    this.operating.hidden = false;
    this.saveButton.disabled = true;
  }

  private async choose(): Promise<void> {
    if (!this.current) return;
    const target = parseTargetSensitivity(this.targetInput.value);
    if (target === null) {
      this.choiceBox.replaceChildren(
        h('p', { className: 'error', text: 'Type a sensitivity between 1 and 100 (%).' }),
      );
      return;
    }
    try {
      const choice = await call('siteValidation:chooseOperatingPoint', {
        runId: this.current.runId,
        label: this.labelSelect.value,
        targetSensitivity: target,
      });
      this.choice = choice;
      const interval = choice.thresholdInterval
        ? ` (95% bootstrap interval ${significant(choice.thresholdInterval.low)} – ${significant(choice.thresholdInterval.high)})`
        : '';
      this.choiceBox.replaceChildren(
        h('p', {
          attrs: { 'data-testid': 'chosen-threshold' },
          text: `${choice.label} threshold ${significant(choice.threshold)}${interval}, chosen on ${choice.positives} ${choice.label} films and ${choice.negatives} others. The model's own threshold is ${significant(choice.defaultThreshold)}.`,
        }),
        this.figuresTable(
          [
            this.estimateRow('Sensitivity at this threshold', choice.sensitivity),
            this.estimateRow('Specificity at this threshold', choice.specificity),
            this.estimateRow('PPV at this threshold', choice.ppv),
            this.estimateRow(
              `Sensitivity at the model's ${choice.defaultThreshold.toFixed(2)}`,
              choice.atDefault.sensitivity,
            ),
            this.estimateRow(
              `Specificity at the model's ${choice.defaultThreshold.toFixed(2)}`,
              choice.atDefault.specificity,
            ),
          ],
          'operating-figures',
        ),
      );
      this.saveButton.disabled = false;
    } catch (error) {
      this.choiceBox.replaceChildren(
        h('p', { className: 'error', text: describeError(errorInfoOf(error)).sentence }),
      );
    }
  }

  private async saveProfile(): Promise<void> {
    if (!this.current || !this.choice) return;
    const request = {
      runId: this.current.runId,
      name: this.profileName.value.trim(),
      label: this.choice.label,
      targetSensitivity: this.choice.targetSensitivity,
      recalibrate: this.recalibrateInput.checked,
    };
    try {
      let state;
      try {
        state = await call('siteProfiles:save', request);
      } catch (error) {
        // Too few films: saved only after the user confirms, and the warning goes with the profile.
        const info = errorInfoOf(error);
        if (info.code !== 'INVALID_REQUEST' || !info.message.startsWith('Not saved:')) throw error;
        const confirmed = window.confirm(
          `${info.message.replace(/ \(--accept-small-n\)/, '')}\n\nSave it anyway? Its small-n warning will be shown wherever the profile is used.`,
        );
        if (!confirmed) {
          this.message.classList.remove('error');
          this.message.textContent = 'Not saved: too few films.';
          return;
        }
        state = await call('siteProfiles:save', { ...request, acceptSmallN: true });
      }
      this.message.classList.remove('error');
      this.message.textContent = `Saved site profile "${request.name}". It is not in use until you select it.`;
      this.renderProfiles(state);
    } catch (error) {
      this.showError(error);
    }
  }

  private async refreshProfiles(): Promise<void> {
    try {
      this.renderProfiles(await call('siteProfiles:state', {}));
    } catch (error) {
      this.showError(error);
    }
  }

  private async setActive(name: string | null): Promise<void> {
    try {
      const state = await call('siteProfiles:setActive', { name });
      this.renderProfiles(state);
      this.events.onProfileChanged(state);
    } catch (error) {
      this.showError(error);
      void this.refreshProfiles();
    }
  }

  private renderProfiles(state: SiteProfilesState): void {
    const active = state.profiles.find((p) => p.name === state.activeProfileName) ?? null;
    this.inUse.textContent = active
      ? `In use: "${active.name}" — ${profileInUseWords(active)}${state.inactiveReason ? ` Not applied now: ${state.inactiveReason}` : ''}`
      : "No site profile in use: the model's own thresholds apply.";
    const option = (value: string, text: string, detail: string | null) => {
      const input = h('input', {
        attrs: {
          type: 'radio',
          name: 'site-profile',
          value,
          'data-testid': `profile-option-${value || 'none'}`,
        },
      });
      input.checked = value === (state.activeProfileName ?? NO_PROFILE);
      input.addEventListener(
        'change',
        () => void this.setActive(value === NO_PROFILE ? null : value),
      );
      return h('label', { className: 'profile-option' }, [
        input,
        ` ${text}`,
        ...(detail ? [h('span', { className: 'muted small', text: ` ${detail}` })] : []),
      ]);
    };
    this.profiles.replaceChildren(
      option(NO_PROFILE, "Off: the model's own thresholds", null),
      ...state.profiles.map((p) =>
        option(
          p.name,
          p.name,
          `${profileDetailWords(p)}; model ${p.modelId}; ${new Date(p.createdAt).toLocaleDateString()}`,
        ),
      ),
    );
  }
}

/** What an active profile does, in words: its threshold, its site calibration, its small-n warning. */
function profileInUseWords(p: SiteProfile): string {
  const parts = [
    ...(p.choice && p.threshold !== null
      ? [
          `${p.choice.label} called at P ≥ ${significant(p.threshold)} (chosen for ${percent(p.choice.targetSensitivity)} sensitivity on ${p.validation.scored} films)`,
        ]
      : []),
    ...(p.recalibration ? [`site-calibrated (profile “${p.name}”)`] : []),
  ];
  return `${parts.join('; ')}.${p.smallNWarning ? ` ${p.smallNWarning}` : ''}`;
}

/** One line per saved profile in the list. */
function profileDetailWords(p: SiteProfile): string {
  const parts: string[] = [];
  if (p.choice && p.threshold !== null) {
    const cells = estimateCells(p.choice.sensitivity);
    parts.push(
      `${p.choice.label} ≥ ${significant(p.threshold)}; sensitivity ${cells.value} (95% ${cells.interval}, n=${p.choice.sensitivity.n})`,
    );
  }
  if (p.recalibration) {
    const r = p.recalibration;
    parts.push(
      `site-calibrated: ECE ${r.eceBefore.value.toFixed(3)} → ${r.eceAfter.value.toFixed(3)} (cross-fitted, n=${r.n})`,
    );
  }
  if (p.smallNWarning) parts.push(`⚠ ${p.smallNWarning}`);
  return parts.join('; ');
}
