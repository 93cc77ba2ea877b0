/**
 * A model id as the app accepts it over IPC: a model folder's name (letters, digits, '.', '_',
 * '-'; no path separators), e.g. `lungseg-unet-v1`. Main looks it up among the model folders it
 * knows; it is never joined onto a path.
 */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
