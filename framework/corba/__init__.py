"""The framework's CORBA surface: servants that translate org::csapi types to the core and back."""
