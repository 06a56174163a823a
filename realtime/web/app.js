// The page of `realtime-digits serve` (realtime/serve.py): camera frames go to the server one at
// a time as JPEG over a WebSocket (the next only once the answer is back, so the newest frame
// wins and nothing queues); each answer is drawn on the canvas the way realtime/annotate.py
// draws the OpenCV window. `window.realtimeDigits` holds the page's state (read by the tests).
"use strict";

// realtime/annotate.py's colours (BGR there, RGB here) and sizes per 480 px of frame height.
const SURE_RGB = [40, 200, 40];      // a label the model is confident about
const UNSURE_RGB = [255, 165, 0];    // under min confidence, shown as "?"
const INFO_RGB = [60, 60, 60];       // behind the fps line
const NUMBER_RGB = [20, 120, 200];   // the text of a whole number, over its digits
const NUMBER_SCALE = 1.2;
const THICKNESS_PER_480 = 2;
const FONT_SCALE_PER_480 = 0.45;
const PAD_PER_480 = 2;
// OpenCV's Hershey simplex at font scale 1: text about 26.7 px high (thickness 2 included) and
// as wide as a 33 px bold sans-serif; the canvas font is sized to match.
const TEXT_HEIGHT_PER_SCALE = 26.7;
const FONT_PX_PER_SCALE = 33;
// The fps shown is the mean over this many recent results, as in the window (cli.FPS_WINDOW_FRAMES).
const FPS_WINDOW = 30;
// Frames are sent as JPEG at this quality: 40-60 KB at 640x480, digits' edges kept.
const JPEG_QUALITY = 0.9;
const IMAGE_JPEG_QUALITY = 0.95;
// A dropped photo is scaled down to at most this many pixels a side before it is sent.
const MAX_IMAGE_SIDE = 4096;
// How many results the page remembers for its figures (latency, results per second).
const KEEP_RESULTS = 2000;
const KEEP_RECORDS = 60;

const state = window.realtimeDigits = {
  connected: false, server: null, mode: "camera", paused: false, mirror: false,
  thresholdView: false, minConfidence: 0.5, cameraError: null, cameraSize: null,
  captureClock: null, inkMaskShown: false, sent: 0, results: 0, errors: [], last: null, size: null,
  history: [], latenciesMs: [], resultTimesMs: [], snapshots: 0,
};

const view = document.getElementById("view");
const viewContext = view.getContext("2d");
const video = document.getElementById("camera");
const statusLine = document.getElementById("status");
const grab = document.createElement("canvas");  // the frame in flight, drawn again with its answer
const grabContext = grab.getContext("2d");
const buttons = {
  pause: document.getElementById("pause"), mirror: document.getElementById("mirror"),
  threshold: document.getElementById("threshold"), snapshot: document.getElementById("snapshot"),
  camera: document.getElementById("camera-button"),
};
const minConfidenceInput = document.getElementById("min-confidence");
const minConfidenceOutput = document.getElementById("min-confidence-value");
const fileInput = document.getElementById("image-file");
const dropZone = document.getElementById("drop-zone");

let socket = null;
let inflight = null;             // {captureMs, kind} of the frame the server is reading
let latestFrame = {id: 0, captureMs: 0};
let lastSentFrameId = -1;
let image = null;                // the dropped or chosen image (an ImageBitmap), in image mode
let imagePending = false;        // the image still has to be (re)sent
let shownMask = null;            // the ink mask of the shown result (threshold view)

// ---------------------------------------------------------------------------------------------
// Drawing: a port of realtime/annotate.py (same colours, sizes, label and fps placement).

const rgb = (c) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
// Python's round(): halves to even, so sizes match annotate.py's exactly.
const pyRound = (v) => { const r = Math.round(v); return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; };
const clip = (v, low, high) => Math.min(Math.max(v, low), high);
const corners = (box) => [box[0], box[1], box[0] + box[2], box[1] + box[3]];
const overlap = (a, b) => Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) *
  Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
const isSure = (detection, minConfidence) => detection.confidence >= minConfidence;
const shownLabel = (d) => (d.steady_label === undefined ? d.label : d.steady_label);

function labelText(detection, minConfidence) {
  const shown = isSure(detection, minConfidence) ? String(shownLabel(detection)) : "?";
  return `${shown} ${Math.round(detection.confidence * 100)}%`;
}

function numberText(number, detections, minConfidence) {
  return number.digits.map((i) => labelText(detections[i], minConfidence)[0]).join("");
}

function measure(context, text, fontScale) {
  context.font = `bold ${(FONT_PX_PER_SCALE * fontScale).toFixed(1)}px sans-serif`;
  const metrics = context.measureText(text);
  return {width: Math.round(metrics.width), height: Math.round(TEXT_HEIGHT_PER_SCALE * fontScale),
          baseline: Math.max(1, Math.round(metrics.actualBoundingBoxDescent))};
}

function placeInfo(plateW, plateH, margin, taken, width, height) {
  const lefts = [margin, Math.max(0, width - margin - plateW)];
  const tops = [margin, Math.max(0, height - margin - plateH)];
  let best = null;
  for (const [left, top] of [[lefts[0], tops[0]], [lefts[1], tops[0]], [lefts[0], tops[1]], [lefts[1], tops[1]]]) {
    const plate = [left, top, left + plateW, top + plateH];
    const covered = taken.reduce((sum, other) => sum + overlap(plate, other), 0);
    if (best === null || covered < best.covered) best = {covered, plate};
  }
  return best.plate;
}

function placeLabel(context, text, box, taken, width, height, fontScale, thickness, pad) {
  const size = measure(context, text, fontScale);
  const plateW = size.width + 2 * pad;
  const plateH = size.height + size.baseline + 2 * pad;
  const [x0, y0, , y1] = corners(box);
  const left = clip(x0, 0, Math.max(0, width - plateW));
  let best = null;
  for (let top of [y0 - Math.floor(thickness / 2) - plateH, y1 + Math.floor(thickness / 2) + 1]) {
    top = clip(top, 0, Math.max(0, height - plateH));
    const plate = [left, top, left + plateW, top + plateH];
    const covered = taken.reduce((sum, other) => sum + overlap(plate, other), 0);
    if (best === null || covered < best.covered) best = {covered, plate};
  }
  return best.plate;
}

function drawPlate(context, text, plate, fontScale, pad, color) {
  const [x0, y0, x1, y1] = plate;
  context.fillStyle = rgb(color);
  context.fillRect(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
  // Dark text on the bright green and orange, white on the dark grey and blue (annotate.py).
  const luma = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2];
  context.fillStyle = luma > 110 ? "rgb(20, 20, 20)" : "rgb(255, 255, 255)";
  const size = measure(context, text, fontScale);
  context.textBaseline = "alphabetic";
  context.fillText(text, x0 + pad, y0 + pad + size.height);
}

function annotate(context, record, width, height, minConfidence, fps) {
  const unit = Math.max(height, 120) / 480;
  const thickness = Math.max(1, pyRound(THICKNESS_PER_480 * unit));
  const fontScale = FONT_SCALE_PER_480 * unit;
  const pad = Math.max(1, pyRound(PAD_PER_480 * unit));
  const detections = record.detections;
  context.lineWidth = thickness;
  for (const d of detections) {
    context.strokeStyle = rgb(isSure(d, minConfidence) ? SURE_RGB : UNSURE_RGB);
    context.strokeRect(d.box[0], d.box[1], d.box[2], d.box[3]);
  }
  const taken = detections.map((d) => corners(d.box));
  if (fps !== null) {
    const text = `${fps.toFixed(1)} fps  ${detections.length} digits`;
    const size = measure(context, text, fontScale);
    const plate = placeInfo(size.width + 2 * pad, size.height + size.baseline + 2 * pad,
                            Math.trunc(8 * unit), taken, width, height);
    drawPlate(context, text, plate, fontScale, pad, INFO_RGB);
    taken.push(plate);
  }
  for (const d of detections) {
    const text = labelText(d, minConfidence);
    const plate = placeLabel(context, text, d.box, taken, width, height, fontScale, thickness, pad);
    drawPlate(context, text, plate, fontScale, pad, isSure(d, minConfidence) ? SURE_RGB : UNSURE_RGB);
    taken.push(plate);
  }
  for (const number of record.numbers) {
    if (number.digits.length < 2) continue;  // a lone digit's own label already says it
    const text = numberText(number, detections, minConfidence);
    taken.push(corners(number.box));
    const plate = placeLabel(context, text, number.box, taken, width, height,
                             fontScale * NUMBER_SCALE, thickness, pad);
    drawPlate(context, text, plate, fontScale * NUMBER_SCALE, pad, NUMBER_RGB);
    taken.push(plate);
  }
}

function currentFps() {
  const times = state.resultTimesMs.slice(-FPS_WINDOW);
  if (state.mode !== "camera" || times.length < 2) return null;
  return (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000);
}

// Draws the shown result again: the frame it was read from (or its ink mask) and its labels.
function redraw() {
  if (!state.last) return;
  const [width, height] = state.size;
  if (view.width !== width || view.height !== height) { view.width = width; view.height = height; }
  state.inkMaskShown = Boolean(state.thresholdView && shownMask);
  if (state.inkMaskShown) {
    viewContext.drawImage(shownMask, 0, 0, width, height);  // the window's threshold view: the mask alone
    return;
  }
  viewContext.drawImage(grab, 0, 0);
  annotate(viewContext, state.last, width, height, state.minConfidence, currentFps());
}

// ---------------------------------------------------------------------------------------------
// The connection.

function setStatus(text, isError = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", isError);
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.onopen = () => {
    state.connected = true;
    sendSettings();
    if (state.mode === "image") imagePending = true;
    pump();
  };
  socket.onmessage = (event) => onMessage(JSON.parse(event.data));
  socket.onclose = () => {
    state.connected = false;
    inflight = null;
    setStatus("disconnected from the server: reconnecting…", true);
    setTimeout(connect, 1000);
  };
}

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(message);
}

function sendSettings() {
  send(JSON.stringify({type: "settings", min_confidence: state.minConfidence, ink_mask: state.thresholdView}));
}

async function onMessage(message) {
  if (message.type === "hello") {
    const first = state.server === null;
    state.server = message;
    if (first) setMinConfidence(message.min_confidence);  // the server's --min-confidence to start
    showStatus();
  } else if (message.type === "result") {
    await onResult(message);
  } else if (message.type === "error") {
    state.errors.push(message.error);
    setStatus(`server: ${message.error}`, true);
    inflight = null;
    pump();
  }
}

async function onResult(message) {
  const frame = inflight;
  inflight = null;
  shownMask = null;
  if (message.ink_mask_png) {
    const mask = new Image();
    mask.src = message.ink_mask_png;
    try { await mask.decode(); shownMask = mask; } catch { shownMask = null; }
  }
  state.last = message.record;
  state.lastKind = frame ? frame.kind : null;  // "camera" or "image": what the shown result read
  state.size = message.size;
  state.results += 1;
  state.history.push(message.record);
  if (state.history.length > KEEP_RECORDS) state.history.shift();
  const drawnMs = performance.now();
  if (frame && frame.kind === "camera") {
    state.resultTimesMs.push(drawnMs);
    if (state.resultTimesMs.length > KEEP_RESULTS) state.resultTimesMs.shift();
  }
  redraw();
  if (frame && frame.kind === "camera") {
    state.latenciesMs.push(performance.now() - frame.captureMs);
    if (state.latenciesMs.length > KEEP_RESULTS) state.latenciesMs.shift();
  }
  if (state.results % 10 === 1 || state.mode === "image") showStatus();
  pump();
}

function showStatus() {
  const parts = [];
  if (state.server) parts.push(`model ${state.server.model} (${state.server.backend})`);
  if (state.mode === "image") parts.push(`image ${state.imageName}`);
  else if (state.cameraSize) parts.push(`camera ${state.cameraSize[0]}x${state.cameraSize[1]}`);
  if (state.paused) parts.push("paused");
  if (state.last) parts.push(`${state.last.detections.length} digits`);
  setStatus(parts.join(" · ") || "connected");
}

// Sends the next frame when the last answer is back: the image once, or the camera's newest frame.
function pump() {
  if (!state.connected || inflight) return;
  if (state.mode === "image") {
    if (imagePending) sendImage();
    return;
  }
  if (state.paused || !state.cameraSize || latestFrame.id === lastSentFrameId) return;
  lastSentFrameId = latestFrame.id;
  const [width, height] = state.cameraSize;
  drawSource(video, width, height);
  sendGrab({captureMs: latestFrame.captureMs, kind: "camera"}, JPEG_QUALITY);
}

function drawSource(source, width, height) {
  if (grab.width !== width || grab.height !== height) { grab.width = width; grab.height = height; }
  grabContext.save();
  if (state.mirror) { grabContext.translate(width, 0); grabContext.scale(-1, 1); }
  grabContext.drawImage(source, 0, 0, width, height);
  grabContext.restore();
}

function sendGrab(frame, quality) {
  inflight = frame;
  grab.toBlob((blob) => {
    if (!blob || !socket || socket.readyState !== WebSocket.OPEN) { inflight = null; return; }
    socket.send(blob);
    state.sent += 1;
  }, "image/jpeg", quality);
}

function sendImage() {
  imagePending = false;
  const scale = Math.min(1, MAX_IMAGE_SIDE / Math.max(image.width, image.height));
  drawSource(image, Math.round(image.width * scale), Math.round(image.height * scale));
  send(JSON.stringify({type: "reset"}));  // a still image has nothing to follow from the camera
  sendGrab({captureMs: performance.now(), kind: "image"}, IMAGE_JPEG_QUALITY);
}

// ---------------------------------------------------------------------------------------------
// The camera, and images chosen or dropped.

async function startCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    state.cameraError = "this page has no camera access: browsers give it only to https or localhost pages";
    setStatus(`${state.cameraError}; choose or drop an image`, true);
    return;
  }
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia(
      {video: {width: {ideal: 640}, height: {ideal: 480}}, audio: false});
    await video.play();
  } catch (error) {
    state.cameraError = `${error.name}: ${error.message}`;
    setStatus(`no camera (${error.name}): choose or drop an image`, true);
    return;
  }
  state.cameraSize = [video.videoWidth, video.videoHeight];
  showStatus();
  watchFrames();
}

// Notes each new camera frame (and when it was captured) and sends it if nothing is in flight.
function watchFrames() {
  if ("requestVideoFrameCallback" in HTMLVideoElement.prototype) {
    const onFrame = (now, metadata) => {
      // captureTime (when the camera took the frame) where the browser knows it, else when
      // the frame was shown: both on performance.now()'s clock.
      const captured = metadata.captureTime;
      const usable = typeof captured === "number" && captured > 0 && captured <= now + 1 && now - captured < 10000;
      state.captureClock = usable ? "captureTime" : "presented";
      latestFrame = {id: metadata.presentedFrames, captureMs: usable ? captured : now};
      if (video.videoWidth) state.cameraSize = [video.videoWidth, video.videoHeight];
      pump();
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  } else {
    state.captureClock = "timer";
    setInterval(() => { latestFrame = {id: latestFrame.id + 1, captureMs: performance.now()}; pump(); }, 33);
  }
}

async function readImageFile(file) {
  if (!file) return;
  if (!file.type.startsWith("image/")) {
    setStatus(`${file.name} is not an image: choose a PNG or JPEG`, true);
    return;
  }
  try {
    image = await createImageBitmap(file);
  } catch {
    setStatus(`${file.name} could not be read as an image`, true);
    return;
  }
  state.mode = "image";
  state.imageName = file.name;
  buttons.camera.hidden = false;
  imagePending = true;
  pump();
}

function backToCamera() {
  state.mode = "camera";
  buttons.camera.hidden = true;
  send(JSON.stringify({type: "reset"}));
  fileInput.value = "";
  showStatus();
  pump();
}

// ---------------------------------------------------------------------------------------------
// Controls: the buttons, and the window's keys.

function setPressed(button, on) { button.setAttribute("aria-pressed", String(on)); }

function togglePause() {
  state.paused = !state.paused;
  setPressed(buttons.pause, state.paused);
  buttons.pause.textContent = state.paused ? "Resume" : "Pause";
  showStatus();
  pump();
}

function toggleMirror() {
  state.mirror = !state.mirror;
  setPressed(buttons.mirror, state.mirror);
  if (state.mode === "image") { imagePending = true; pump(); }
}

function toggleThreshold() {
  state.thresholdView = !state.thresholdView;
  setPressed(buttons.threshold, state.thresholdView);
  sendSettings();  // the ink mask comes with the next result
  if (state.mode === "image") { imagePending = true; pump(); }
  redraw();
}

function setMinConfidence(value) {
  state.minConfidence = value;
  minConfidenceInput.value = String(value);
  minConfidenceOutput.textContent = value.toFixed(2);
  sendSettings();
  redraw();
}

function download(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// The annotated PNG and its JSON, named and written as the window's snapshots (sinks.SnapshotSink).
function snapshot() {
  if (!state.last) return;
  const record = state.last;
  const stem = `snapshot_${String(record.frame).padStart(6, "0")}`;
  view.toBlob((png) => {
    download(png, `${stem}.png`);
    download(new Blob([JSON.stringify(record, null, 1)], {type: "application/json"}), `${stem}.json`);
    state.snapshots += 1;
    setStatus(`snapshot ${stem}.png and ${stem}.json downloaded`);
  }, "image/png");
}

buttons.pause.addEventListener("click", togglePause);
buttons.mirror.addEventListener("click", toggleMirror);
buttons.threshold.addEventListener("click", toggleThreshold);
buttons.snapshot.addEventListener("click", snapshot);
buttons.camera.addEventListener("click", backToCamera);
minConfidenceInput.addEventListener("input", () => setMinConfidence(Number(minConfidenceInput.value)));
fileInput.addEventListener("change", () => readImageFile(fileInput.files[0]));

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const inControl = event.target.closest && event.target.closest("input, button");
  if (event.key === " " && !inControl) { event.preventDefault(); togglePause(); }
  else if (event.key === "m") toggleMirror();
  else if (event.key === "t") toggleThreshold();
  else if (event.key === "s") snapshot();
});

for (const name of ["dragenter", "dragover"]) {
  document.addEventListener(name, (event) => { event.preventDefault(); dropZone.classList.add("dropping"); });
}
for (const name of ["dragleave", "drop"]) {
  document.addEventListener(name, () => dropZone.classList.remove("dropping"));
}
document.addEventListener("drop", (event) => {
  event.preventDefault();
  readImageFile(event.dataTransfer.files[0]);
});

connect();
startCamera();
