// Starts `baton lsp` for .baton files. The binary is `baton.path` (default:
// `baton` on the PATH).
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("baton").get("path") || "baton";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "baton",
    "baton",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "baton" }] }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
