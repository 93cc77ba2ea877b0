// Placeholder bootstrap; replaced by the Electron bootstrap module.
export {};
