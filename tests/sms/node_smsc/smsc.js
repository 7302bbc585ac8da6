// An SMSC built on node-smpp (npm "smpp", pinned in package-lock.json): an SMPP implementation
// micropay did not write, for the interop tests in tests/sms/test_node_smsc.py.
//
// Usage: node smsc.js PORT SYSTEM_ID PASSWORD RECORD_FILE [MO_FILE]
//
// It refuses a bind_transceiver with the wrong system_id (ESME_RINVSYSID) or password
// (ESME_RINVPASWD), as a real SMSC does; accepts every submit_sm; and after each accepted bind
// sends the mobile-originated messages of MO_FILE (a JSON list of deliver_sm fields) that are not
// acknowledged yet. Everything it sees is appended to RECORD_FILE as JSON lines: binds (with the
// time, so tests can measure back-off), submit_sm addresses, and deliver_sm_resp statuses.
"use strict";

const fs = require("fs");
const smpp = require("smpp");

const [port, systemId, password, recordFile, moFile] = process.argv.slice(2);
const pendingMo = moFile ? JSON.parse(fs.readFileSync(moFile, "utf8")) : [];
let messageCount = 0;

function record(event) {
  fs.appendFileSync(recordFile, JSON.stringify({ t: Date.now(), ...event }) + "\n");
}

function sendMo(session) {
  pendingMo.forEach((mo, index) => {
    if (mo.acked) return;
    session.deliver_sm({ ...mo.pdu }, (resp) => {
      record({ event: "mo_resp", index, status: resp.command_status });
      if (resp.command_status === 0) mo.acked = true;
    });
  });
}

const server = smpp.createServer({}, (session) => {
  session.on("bind_transceiver", (pdu) => {
    session.pause();
    let status = 0;
    if (pdu.system_id !== systemId) status = smpp.ESME_RINVSYSID;
    else if (pdu.password !== password) status = smpp.ESME_RINVPASWD;
    record({ event: "bind", system_id: pdu.system_id, status });
    session.send(pdu.response({ command_status: status, system_id: "node-smpp" }));
    if (status !== 0) {
      session.close();
      return;
    }
    session.resume();
    sendMo(session);
  });
  session.on("submit_sm", (pdu) => {
    messageCount += 1;
    const id = `n${messageCount}`;
    record({
      event: "submit",
      message_id: id,
      source_addr: pdu.source_addr,
      source_addr_ton: pdu.source_addr_ton,
      source_addr_npi: pdu.source_addr_npi,
      destination_addr: pdu.destination_addr,
      dest_addr_ton: pdu.dest_addr_ton,
      dest_addr_npi: pdu.dest_addr_npi,
    });
    session.send(pdu.response({ message_id: id }));
  });
  session.on("enquire_link", (pdu) => session.send(pdu.response()));
  session.on("unbind", (pdu) => {
    session.send(pdu.response());
    session.close();
  });
  session.on("error", () => {});
});

server.listen(Number(port), "127.0.0.1", () => {
  process.stdout.write("ready\n");
});
