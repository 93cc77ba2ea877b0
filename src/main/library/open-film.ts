/**
 * A film the user has open: its frame decoded once, and what is derived from that frame kept
 * with it, so the viewer, the prediction panel, a heatmap-class switch and a report export all
 * share one decode and one analysis.
 */
import type { FilmAnalysis } from '../../shared/analysis';
import type { DecodedFrame, ImageMetadata } from '../../shared/imaging';
import type { LoadedImage } from '../../shared/ipc/contract';
import type { OperatingPoint } from '../../shared/verdict';
import { filmInputOf, type FilmInput } from '../inference';

/** What an analysis was asked with; one made with heatmaps also answers a request without. */
export interface AnalysisSettings {
  heatmaps: boolean;
  operatingPoint: OperatingPoint | null;
}

export class OpenFilm {
  private modelFilm: FilmInput | null = null;
  private readonly analyses = new Map<string, Promise<FilmAnalysis>>();

  constructor(
    readonly path: string,
    readonly loaded: LoadedImage,
    /** Time the decode took (reported in the analysis timing). */
    readonly decodeMs: number,
  ) {}

  get frameIndex(): number {
    return this.loaded.frame.frameIndex;
  }
  get metadata(): ImageMetadata {
    return this.loaded.metadata;
  }
  get frame(): DecodedFrame {
    return this.loaded.frame;
  }

  /** The frame as the model takes it (gray + the chest gate's header fields), converted once. */
  modelInput(): FilmInput {
    this.modelFilm ??= filmInputOf(this.loaded.frame, this.loaded.metadata);
    return this.modelFilm;
  }

  /**
   * The analysis for these settings, made at most once while the film stays open (a failed one is
   * not kept). A request without heatmaps takes one made with them.
   */
  analysis(
    settings: AnalysisSettings,
    analyse: (film: FilmInput, decodeMs: number) => Promise<FilmAnalysis>,
  ): Promise<FilmAnalysis> {
    const point = JSON.stringify(settings.operatingPoint);
    const withHeatmaps = `heatmaps|${point}`;
    const key = settings.heatmaps ? withHeatmaps : `scores|${point}`;
    const known = this.analyses.get(withHeatmaps) ?? this.analyses.get(key);
    if (known) return known;
    const made = analyse(this.modelInput(), this.decodeMs);
    made.catch(() => this.analyses.delete(key));
    this.analyses.set(key, made);
    return made;
  }
}
