/**
 * Tests only: small source folders in every upstream layout, made from real shared films with
 * metadata written here, with planted traps (the same film twice under two names and sources, a
 * re-encoded resized copy, a negative copy, several films per patient, a lateral view, a CT row,
 * a missing image, label files that disagree). Films are linked or re-encoded, never altered.
 */
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as jpeg from 'jpeg-js';
import { buildDicom, imagePixelElements } from '../dicom/test-dicom-writer';
import { encodeGrayPng } from '../inference/heatmap-image';
import { resizeArea } from '../inference/preprocess';
import { SHARED_DATA } from '../inference/test-support';
import type { SourceSpec } from './types';

const CXR = join(SHARED_DATA, 'cxr/images');
const EXTRA = join(SHARED_DATA, 'cxr-extra/images');

interface Gray {
  data: Uint8Array;
  width: number;
  height: number;
}

async function decodeJpeg(path: string): Promise<Gray> {
  const { data, width, height } = jpeg.decode(await readFile(path), { useTArray: true });
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < gray.length; i++) gray[i] = data[4 * i];
  return { data: gray, width, height };
}

function resized(image: Gray, width: number, height: number): Gray {
  const out = resizeArea(
    { data: Float32Array.from(image.data), width: image.width, height: image.height },
    { x: 0, y: 0, width: image.width, height: image.height },
    width,
    height,
  );
  return { data: Uint8Array.from(out, (v) => Math.round(v)), width, height };
}

function encodeJpeg(image: Gray, quality: number): Buffer {
  const rgba = Buffer.alloc(image.width * image.height * 4);
  for (let i = 0; i < image.data.length; i++) {
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = image.data[i];
    rgba[4 * i + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width: image.width, height: image.height }, quality).data;
}

async function put(path: string, data: Buffer | Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
}

/** Links a shared film into a layout under an upstream name (in place: nothing is copied). */
async function link(target: string, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await symlink(target, path);
}

async function asPng(source: string, path: string): Promise<void> {
  const image = await decodeJpeg(source);
  await put(path, encodeGrayPng(image.data, image.width, image.height));
}

/** An RSNA-style DICOM: the shared JPEG film as encapsulated baseline JPEG, with its view. */
async function rsnaDicom(
  source: string,
  path: string,
  patientId: string,
  view: string,
): Promise<void> {
  const bytes = new Uint8Array(await readFile(source));
  const { width, height } = jpeg.decode(bytes, { useTArray: true });
  const elements = imagePixelElements({
    rows: height,
    columns: width,
    bitsAllocated: 8,
    extra: [
      { tag: [0x0008, 0x0060], vr: 'CS', value: 'CR' },
      { tag: [0x0010, 0x0020], vr: 'LO', value: patientId },
      { tag: [0x0018, 0x5101], vr: 'CS', value: view },
    ],
  });
  await put(
    path,
    buildDicom({ transferSyntaxUid: '1.2.840.10008.1.2.4.50', elements, fragments: [bytes] }),
  );
}

const COHEN_HEADER =
  'patientid,offset,sex,age,finding,RT_PCR_positive,survival,intubated,intubation_present,went_icu,in_icu,needed_supplemental_O2,extubated,temperature,pO2_saturation,leukocyte_count,neutrophil_count,lymphocyte_count,view,modality,date,location,folder,filename,doi,url,license,clinical_notes,other_notes,';
const cohenRow = (
  patient: string,
  finding: string,
  view: string,
  modality: string,
  folder: string,
  file: string,
  notes = '',
) =>
  `${patient},0,M,50,${finding},Y,,,,,,,,,,,,,${view},${modality},2020,"Somewhere, Earth",${folder},${file},,https://example.org/${file},CC BY 4.0,"${notes}",,`;
const FIG1_HEADER =
  'patientid,offset,sex,age,finding,survival,temperature,pO2 saturation,view,modality,originalfile,artifacts/distortion,notes';
const ACTUALMED_HEADER =
  'patientid,offset,sex,age,finding,survival,temperature,pO2 saturation,view,modality,imagename,artifacts/distortion,notes';
const NIH_HEADER =
  'Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],';

export interface Planted {
  root: string;
  sources: SourceSpec[];
  /** Paths (as the manifest and duplicates.csv write them) of the planted copies. */
  exact: [string, string];
  reencoded: [string, string];
  inverted: [string, string];
  /** Films expected in the manifest. */
  expectedFilms: number;
  /** Excluded candidates by reason (the part before any detail). */
  expectedExclusions: Record<string, number>;
}

export async function writeUpstreamLayouts(root: string): Promise<Planted> {
  const cxr = (await readdir(CXR)).sort();
  const extra = (await readdir(EXTRA)).sort();
  const pick = (list: string[], prefix: string, n: number, dir: string) =>
    list
      .filter((f) => f.startsWith(prefix))
      .slice(0, n)
      .map((f) => join(dir, f));
  const cohen = pick(cxr, 'cohen-', 8, CXR);
  const figure1 = pick(cxr, 'figure1-', 2, CXR);
  const actualmed = pick(cxr, 'actualmed-', 2, CXR);
  const nih = pick(cxr, 'nih-', 5, CXR);
  const rsna = pick(extra, 'rsna-lungmasked-', 4, EXTRA);
  const covid = pick(extra, 'c19rdb-covid-', 2, EXTRA);
  const normal = pick(extra, 'c19rdb-normal-', 1, EXTRA);

  // cohen: patient p1 has three frontal films and a lateral; a CT row; unmapped findings.
  const c = join(root, 'cohen');
  const cohenFiles = [
    'p1-day0.jpeg',
    'p1-day3.jpeg',
    'p1-day7.jpeg',
    'p2.jpeg',
    'p3.jpeg',
    'p1-lat.jpeg',
    'p5.jpeg',
    'p6.jpeg',
  ];
  for (const [i, name] of cohenFiles.entries()) await link(cohen[i], join(c, 'images', name));
  await link(figure1[1], join(c, 'images', 'covid-a.jpeg'));
  await link(cohen[5], join(c, 'volumes', 'p4-ct.jpg'));
  await put(
    join(c, 'metadata.csv'),
    [
      COHEN_HEADER,
      cohenRow(
        'p1',
        'Pneumonia/Viral/COVID-19',
        'PA',
        'X-ray',
        'images',
        'p1-day0.jpeg',
        'first film,\nwith a line break',
      ),
      cohenRow('p1', 'Pneumonia/Viral/COVID-19', 'AP', 'X-ray', 'images', 'p1-day3.jpeg'),
      cohenRow('p1', 'Pneumonia/Viral/COVID-19', 'AP Supine', 'X-ray', 'images', 'p1-day7.jpeg'),
      cohenRow('p1', 'Pneumonia/Viral/COVID-19', 'L', 'X-ray', 'images', 'p1-lat.jpeg'),
      cohenRow('p2', 'Pneumonia/Bacterial/Streptococcus', 'PA', 'X-ray', 'images', 'p2.jpeg'),
      cohenRow('p3', 'No Finding', 'PA', 'X-ray', 'images', 'p3.jpeg'),
      cohenRow('p4', 'Pneumonia/Viral/COVID-19', 'Axial', 'CT', 'volumes', 'p4-ct.jpg'),
      cohenRow('p5', 'Tuberculosis', 'PA', 'X-ray', 'images', 'p5.jpeg'),
      cohenRow('p6', 'todo', 'PA', 'X-ray', 'images', 'p6.jpeg'),
      cohenRow('p7', 'COVID-19', 'AP', 'X-ray', 'images', 'covid-a.jpeg'),
    ].join('\n') + '\n',
  );

  // figure1: COVID-00001 is cohen's covid-a.jpeg under another name; 00003a/b one patient.
  const f = join(root, 'figure1');
  await link(figure1[1], join(f, 'images', 'COVID-00001.jpg'));
  await link(figure1[0], join(f, 'images', 'COVID-00003a.jpg'));
  await asPng(actualmed[0], join(f, 'images', 'COVID-00003b.png'));
  await link(cohen[6], join(f, 'images', 'COVID-00005.jpg'));
  await put(
    join(f, 'metadata.csv'),
    [
      FIG1_HEADER,
      'COVID-00001,13,M,33,COVID-19,,,58,AP erect,X-ray,COVID-0001.jpeg,,"O2 saturation 58%, on room air"',
      'COVID-00003a,8,M,28,COVID-19,,39.1,90,AP erect,X-ray,COVID-0024.jpeg,,',
      'COVID-00003b,8,M,28,COVID-19,,39.1,90,AP erect,X-ray,COVID-0025.jpeg,,Post-intubation',
      'COVID-00005,,,,,,,,,X-ray,,,',
    ].join('\n') + '\n',
  );

  // actualmed: one inconclusive (blank finding) and one whose image is not in the snapshot.
  const a = join(root, 'actualmed');
  await link(actualmed[1], join(a, 'images', 'CR.1.2.840.1.png'));
  await link(nih[2], join(a, 'images', 'CR.1.2.840.2.png'));
  await link(cohen[5], join(a, 'images', 'CR.1.2.840.3.png'));
  await put(
    join(a, 'metadata.csv'),
    [
      ACTUALMED_HEADER,
      'ANON1,,,,COVID-19,,,,AP,X-ray,CR.1.2.840.1.png,,", date taken (YYYYMMDD): 20200320"',
      'ANON2,,,,No finding,,,,PA,X-ray,CR.1.2.840.2.png,,"Negative (covid-19 viral infection is excluded)"',
      'ANON3,,,,,,,,PA,X-ray,CR.1.2.840.3.png,,"Inconclusive, date taken (YYYYMMDD): 20200313"',
      'ANON4,,,,COVID-19,,,,PA,X-ray,CR.1.2.840.404.png,,"not in the snapshot"',
    ].join('\n') + '\n',
  );

  // nih: PNGs under images_001/images, the published bracketed header with trailing commas.
  const n = join(root, 'nih');
  await asPng(nih[0], join(n, 'images_001/images/00000001_000.png'));
  await asPng(nih[1], join(n, 'images_001/images/00000001_001.png'));
  await asPng(cohen[4], join(n, 'images_002/images/00000002_000.png'));
  await asPng(nih[3], join(n, 'images_002/images/00000003_000.png'));
  await put(
    join(n, 'Data_Entry_2017.csv'),
    [
      NIH_HEADER,
      '00000001_000.png,No Finding,0,1,58,M,PA,2682,2749,0.143,0.143,',
      '00000001_001.png,Infiltration|Pneumonia,1,1,58,M,AP,2894,2729,0.143,0.143,',
      '00000002_000.png,Effusion,0,2,81,M,PA,2500,2048,0.168,0.168,',
      '00000003_000.png,No Finding,0,3,74,F,PA,2500,2048,0.168,0.168,',
    ].join('\n') + '\n',
  );

  // rsna: DICOMs; one class/Target disagreement, one "No Lung Opacity / Not Normal".
  const r = join(root, 'rsna');
  const ids = rsna.map((file) => basename(file, '.jpg').replace('rsna-lungmasked-', ''));
  for (const [i, id] of ids.entries()) {
    await rsnaDicom(
      rsna[i],
      join(r, 'stage_2_train_images', `${id}.dcm`),
      id,
      i === 1 ? 'AP' : 'PA',
    );
  }
  await put(
    join(r, 'stage_2_train_labels.csv'),
    [
      'patientId,x,y,width,height,Target',
      `${ids[0]},264.0,152.0,213.0,379.0,1`,
      `${ids[0]},562.0,152.0,256.0,453.0,1`,
      `${ids[1]},,,,,0`,
      `${ids[2]},,,,,0`,
      `${ids[3]},300.0,200.0,100.0,100.0,1`,
    ].join('\n') + '\n',
  );
  await put(
    join(r, 'stage_2_detailed_class_info.csv'),
    [
      'patientId,class',
      `${ids[0]},Lung Opacity`,
      `${ids[0]},Lung Opacity`,
      `${ids[1]},Normal`,
      `${ids[2]},No Lung Opacity / Not Normal`,
      `${ids[3]},Normal`,
    ].join('\n') + '\n',
  );

  // c19rdb: Normal-1 is NIH 00000003 re-encoded at JPEG quality 40 and squashed to 224 x 224.
  const d = join(root, 'c19rdb', 'COVID-19_Radiography_Dataset');
  await asPng(covid[0], join(d, 'COVID/images/COVID-1.png'));
  await asPng(covid[1], join(d, 'COVID/masks/COVID-1.png'));
  const nih3 = await decodeJpeg(nih[3]);
  await put(join(d, 'Normal/images/Normal-1.jpg'), encodeJpeg(resized(nih3, 224, 224), 40));
  await asPng(normal[0], join(d, 'Normal/images/Normal-2.png'));
  await asPng(cohen[7], join(d, 'Lung_Opacity/images/Lung_Opacity-1.png'));

  // site: a clinic's labels; S1's film is cohen p2 stored as a negative.
  const s = join(root, 'site');
  const p2 = await decodeJpeg(cohen[3]);
  await put(
    join(s, 'films/s1.png'),
    encodeGrayPng(
      p2.data.map((v) => 255 - v),
      p2.width,
      p2.height,
    ),
  );
  await link(nih[4], join(s, 'films/s2.jpg'));
  await link(cohen[7], join(s, 'films/s3.jpg'));
  await put(
    join(s, 'labels.csv'),
    [
      'path,label,patient_id',
      'films/s1.png,pneumonia,S1',
      'films/s2.jpg,normal,S2',
      'films/s3.jpg,other,S3',
    ].join('\n') + '\n',
  );

  const kinds = ['cohen', 'figure1', 'actualmed', 'nih', 'rsna', 'c19rdb', 'site'] as const;
  return {
    root,
    sources: kinds.map((kind) => ({ kind, name: kind, folder: join(root, kind) })),
    exact: [join(c, 'images/covid-a.jpeg'), join(f, 'images/COVID-00001.jpg')],
    reencoded: [
      join(n, 'images_002/images/00000003_000.png'),
      join(d, 'Normal/images/Normal-1.jpg'),
    ],
    inverted: [join(c, 'images/p2.jpeg'), join(s, 'films/s1.png')],
    // cohen 6 + figure1 3 + actualmed 2 + nih 3 + rsna 2 + c19rdb 3 + site 2 eligible, less 3 copies.
    expectedFilms: 18,
    expectedExclusions: {
      'lateral view': 1,
      'not an X-ray (CT or cross-sectional)': 1,
      'finding not mapped to a label': 6,
      'no finding recorded': 2,
      'image file not found': 1,
      "the source's label files disagree": 1,
      'lung mask image, not a film': 1,
      'duplicate of a kept film (same picture)': 3,
    },
  };
}
