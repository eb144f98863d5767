"""Storage backends for customer documents (F17): local folder and S3. Built with the documents issue."""
