"""Publishing a bundle: record assembly and signing, submission, confirmation, receipts."""
