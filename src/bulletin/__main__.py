"""`python -m bulletin …` runs the same command as `bulletin …`."""
from .launch import main

if __name__ == "__main__":
    main()
