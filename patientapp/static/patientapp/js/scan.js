// Scanning the enrolment QR code with the camera, where the browser has BarcodeDetector.
export function canScan() {
  return "BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
}

/** The code in a scanned value: a bare code, or a link carrying `code=` (query or fragment). */
export function codeFrom(value) {
  const text = (value || "").trim();
  const match = text.match(/[?#&]code=([^&#\s]+)/);
  return match ? decodeURIComponent(match[1]) : text;
}

/** The code carried by the app's own address (the QR code of the staff dashboard opens
 * /app/#code=XXXX-XXXX-XXXX), or null. The fragment never reaches a server or its logs. */
export function linkedCode(hash) {
  const match = (hash || "").match(/^#(?:.*&)?code=([^&#\s]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

export async function scan(video) {
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  video.srcObject = stream;
  await video.play();
  try {
    for (let tries = 0; tries < 600; tries += 1) {
      const found = await detector.detect(video);
      if (found.length) return codeFrom(found[0].rawValue);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return null;
  } finally {
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  }
}
