// Runs the player's scene-cut thumbnail (frvsr/web/static/scenes.js) in Node on raw RGB
// images, for test_scenes_js.py to compare with OpenCV.
// Usage: node thumbs.mjs <scenes.js path> <manifest.json>; the manifest lists
// {path, width, height} of packed uint8 RGB files. Prints a JSON list of base64 thumbnails.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [scenesPath, manifestPath] = process.argv.slice(2);
const { thumbnail } = await import(pathToFileURL(scenesPath).href);
const items = JSON.parse(readFileSync(manifestPath, "utf8"));
const out = items.map(({ path, width, height }) => {
  const px = new Uint8Array(readFileSync(path));
  return Buffer.from(thumbnail(px, width, height, 3)).toString("base64");
});
process.stdout.write(JSON.stringify(out));
