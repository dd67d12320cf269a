"""W100–W129: delivering FHIR output to a server (`crfmap push`)."""

from crfmap.issues.catalogue.entries import IssueType, Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

ENTRIES = (
    IssueType("W100", "push-rejected", E, "The FHIR server refused a resource",
              "the server refused {value}: {detail}",
              "Read the server's diagnostics above: a profile or terminology the server enforces, a reference it "
              "cannot resolve, or a business rule. Fix the cells named, convert again and push again; what was "
              "accepted is not sent twice."),
    IssueType("W101", "push-server-unreachable", E, "FHIR server unreachable",
              "{value} could not be reached: {detail}",
              "Check the --server URL, the network and proxy, and for TLS errors the server's certificate "
              "(--ca-bundle for a private CA). Push again: the push log resumes where this run stopped."),
    IssueType("W102", "push-server-unavailable", E, "FHIR server unavailable",
              "{value} was not accepted after {expected} attempt(s): {detail}",
              "The server kept answering that it is busy or failing (5xx/429). Push again later (what was "
              "accepted is skipped), or lower --concurrency."),
    IssueType("W103", "push-not-sendable", E, "Output file cannot be pushed",
              "{value} is not sent: {detail}",
              "Convert again with the options the message names."),
    IssueType("W104", "push-auth-failed", E, "Not authorised by the FHIR server",
              "{value}: {detail}",
              "Check the credentials (--token-env/--token-file, --basic-user, or the SMART client id, key and "
              "scope) and that the client may write these resource types."),
    IssueType("W105", "push-nothing-to-send", E, "Nothing to push",
              "{detail}",
              "Pass the folder crfmap convert wrote (OUT, or OUT/fhir)."),
    IssueType("W106", "push-needs-extra", E, "crfmap push needs the 'push' extra",
              "{detail}",
              "Install it with: python -m pip install 'crfmap[push]'"),
    IssueType("W107", "push-not-sent", W, "Not sent",
              "{value} was not sent: {detail}",
              "Push again once the server is reachable (or the credentials are right); the push log resumes where "
              "this run stopped."),
    IssueType("W108", "push-response-unexpected", E, "Unexpected answer from the FHIR server",
              "the server's answer to {value} is not what FHIR prescribes: {detail}",
              "Check that --server is the FHIR base URL (e.g. https://host/fhir), not a web page or a proxy login."),
    IssueType("W109", "push-credentials-missing", E, "Credentials not found",
              "{detail}",
              "Set the environment variable or create the file named; secrets are never taken from the "
              "command line, so they do not end up in shell history."),
    IssueType("W110", "push-log-damaged", W, "Push log line ignored",
              "{value}: {detail}",
              "A line of the push log could not be read (e.g. cut short by a crash); its unit is sent again, "
              "which is safe because every request is idempotent."),
)
