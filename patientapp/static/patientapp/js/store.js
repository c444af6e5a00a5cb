// IndexedDB: the session, settings, cached catalogues, and the outbox of diary entries.
// Every entry is written here, with the UUID made on the phone, before anything is sent.
const NAME = "toxwatch";
const VERSION = 1;
let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("kv");
        db.createObjectStore("outbox", { keyPath: "id" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

async function run(storeName, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    const request = work(tx.objectStore(storeName));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const kv = {
  get: (key) => run("kv", "readonly", (s) => s.get(key)),
  set: (key, value) => run("kv", "readwrite", (s) => s.put(value, key)),
  remove: (key) => run("kv", "readwrite", (s) => s.delete(key)),
};

export const outbox = {
  put: (entry) => run("outbox", "readwrite", (s) => s.put(entry)),
  get: (id) => run("outbox", "readonly", (s) => s.get(id)),
  all: async () => {
    const rows = (await run("outbox", "readonly", (s) => s.getAll())) || [];
    return rows.sort((a, b) => (a.saved_at < b.saved_at ? 1 : -1));
  },
  pending: async () => (await outbox.all()).filter((e) => e.state === "saved"),
  clear: () => run("outbox", "readwrite", (s) => s.clear()),
};
